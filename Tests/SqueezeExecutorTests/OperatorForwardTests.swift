import Foundation
import SqueezeExecutor
import SqueezeModel
import Testing

/// Every operator's dense forward pass against a textbook interpreter written
/// here from the operators' documented semantics (every blob of every case is
/// compared, so a mismatch names the layer), the compressed engine against
/// the dense one on the same networks, and attribute round trips.
@Suite("operator forward passes match naive references")
struct OperatorForwardTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let network: Network
        /// Input values are uniform in `-inputScale..<inputScale`.
        var inputScale: Float = 3
        var testDescription: String { name }
    }

    static let batch = 2

    // MARK: Building networks

    static func network(_ input: [Int], _ layers: [Layer]) -> Network {
        Network(name: "forward", inputs: [NetworkInput(name: "data", shape: TensorShape([batch] + input))], layers: layers)
    }

    static func layer(_ name: String, _ op: any Operator, _ bottoms: [String], tops: [String]? = nil) -> Layer {
        Layer(name: name, kind: op, bottoms: bottoms, tops: tops ?? [name])
    }

    static func conv(_ name: String, _ bottom: String, _ outputs: Int, kernel: Int = 1, stride: Int = 1, pad: Int = 0,
                     groups: Int = 1) -> Layer {
        layer(name, Convolution(outputChannels: outputs, kernel: Spatial(kernel), stride: Spatial(stride), padding: Spatial(pad),
                                groups: groups), [bottom])
    }

    static let cases: [Case] = [
        // MARK: Convolution
        Case(name: "asymmetric padding convolutions: 3x3 (top 0 left 1, bottom 2 right 0), 3x2 dilated 2x1 stride 2",
             network: network([3, 7, 8], [
                layer("c1", Convolution(outputChannels: 5, kernel: Spatial(3), padding: Spatial(height: 0, width: 1),
                                        paddingEnd: Spatial(height: 2, width: 0)), ["data"]),
                layer("c2", Convolution(outputChannels: 4, kernel: Spatial(height: 3, width: 2), stride: Spatial(2),
                                        padding: Spatial(height: 2, width: 0), paddingEnd: Spatial(height: 1, width: 1),
                                        dilation: Spatial(height: 2, width: 1)), ["c1"]),
                layer("c3", Convolution(outputChannels: 3, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 1, width: 0),
                                        paddingEnd: Spatial(height: 0, width: 1), hasBias: false), ["c2"]),
             ])),
        Case(name: "asymmetric padding convolution (pads only after), ReLU fused, 1x1 after", network: network([2, 6, 6], [
            layer("c", Convolution(outputChannels: 6, kernel: Spatial(3), padding: Spatial(0), paddingEnd: Spatial(2)), ["data"]),
            layer("r", ReLU(), ["c"], tops: ["c"]),
            conv("p", "c", 3),
        ])),
        Case(name: "depthwise convolutions: 3x3 pad 1, multiplier 2 stride 2, asymmetric pads, dilated", network: network([4, 9, 9], [
            conv("dw1", "data", 4, kernel: 3, pad: 1, groups: 4),
            conv("dw2", "dw1", 8, kernel: 3, stride: 2, pad: 1, groups: 4),
            layer("dw3", Convolution(outputChannels: 8, kernel: Spatial(3), padding: Spatial(height: 1, width: 0),
                                     paddingEnd: Spatial(height: 0, width: 2), groups: 8), ["dw2"]),
            layer("dw4", Convolution(outputChannels: 8, kernel: Spatial(3), padding: Spatial(2), dilation: Spatial(2), groups: 8),
                  ["dw3"]),
            conv("pw", "dw4", 5),
        ])),

        // MARK: Pooling
        Case(name: "average pooling count_include_pad false with asymmetric pads, ceil and floor", network: network([3, 7, 8], [
            layer("ceil", Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 0, width: 1),
                                  paddingEnd: Spatial(height: 2, width: 0), rounding: .ceil, countsPadding: false), ["data"]),
            layer("floor", Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 1, width: 2),
                                   paddingEnd: Spatial(height: 2, width: 1), rounding: .floor, countsPadding: false), ["data"]),
            layer("ceilFlat", Reshape(shape: [0, -1]), ["ceil"]),
            layer("floorFlat", Reshape(shape: [0, -1]), ["floor"]),
            layer("cat", Concat(axis: 1), ["ceilFlat", "floorFlat"]),
        ])),
        Case(name: "average pooling count_include_pad true with asymmetric pads after a convolution", network: network([3, 8, 7], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("pool", Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1),
                                  paddingEnd: Spatial(height: 0, width: 2)), ["c"]),
        ])),
        Case(name: "max pooling with asymmetric pads after a convolution (not folded), floor", network: network([3, 9, 9], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("pool", Pooling(method: .max, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 1, width: 0),
                                  paddingEnd: Spatial(height: 0, width: 1), rounding: .floor), ["c"]),
            conv("after", "pool", 3, kernel: 3, pad: 1),
        ])),
        Case(name: "max pooling pad 1 ceil after a convolution (folded), then 2x2 stride 2 floor", network: network([3, 10, 10], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("pool", Pooling(method: .max, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1)), ["c"]),
            layer("pool2", Pooling(method: .max, kernel: Spatial(2), stride: Spatial(2), rounding: .floor), ["pool"]),
        ])),
        Case(name: "global max and global average pooling", network: network([3, 5, 6], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("gmp", Pooling(method: .max, isGlobal: true), ["c"]),
            layer("gap", Pooling(method: .average, isGlobal: true), ["c"]),
            layer("cat", Concat(), ["gap", "gmp"]),
        ])),

        // MARK: Eltwise
        Case(name: "eltwise sum/difference/product/quotient/max/min of two operands of the same shape",
             network: network([4, 4, 5], [
                layer("split", Split(axis: 1, sizes: [2, 2]), ["data"], tops: ["a", "b"]),
                layer("divisor", Clip(minimum: 0.5, maximum: 3), ["b"]),
                layer("sum", Eltwise(.sum), ["a", "b"]),
                layer("difference", Eltwise(.difference), ["a", "b"]),
                layer("product", Eltwise(.product), ["a", "b"]),
                layer("quotient", Eltwise(.quotient), ["a", "divisor"]),
                layer("max", Eltwise(.max), ["a", "b"]),
                layer("min", Eltwise(.min), ["b", "a"]),
                layer("sum3", Eltwise(.sum), ["a", "b", "a"]),
                layer("product3", Eltwise(.product), ["b", "a", "divisor"]),
                layer("cat", Concat(), ["sum", "difference", "product", "quotient", "max", "min", "sum3", "product3"]),
             ])),
        Case(name: "eltwise broadcasting a per-channel [N, C, 1, 1] operand, both sides", network: network([3, 4, 5], [
            layer("gap", Pooling(method: .average, isGlobal: true), ["data"]),
            layer("gate", Sigmoid(), ["gap"]),
            layer("product", Eltwise(.product), ["data", "gate"]),
            layer("sum", Eltwise(.sum), ["gap", "data"]),
            layer("difference", Eltwise(.difference), ["gap", "data"]),
            layer("quotient", Eltwise(.quotient), ["data", "gate"]),
            layer("max", Eltwise(.max), ["gap", "data"]),
            layer("min", Eltwise(.min), ["data", "gap"]),
            layer("cat", Concat(), ["product", "sum", "difference", "quotient", "max", "min"]),
        ])),
        Case(name: "squeeze-and-excitation: x * sigmoid(fc(gap(x))) reshaped to [N, C, 1, 1]", network: network([3, 6, 6], [
            conv("x", "data", 6, kernel: 3, pad: 1),
            layer("gap", Pooling(method: .average, isGlobal: true), ["x"]),
            layer("squeeze", InnerProduct(outputCount: 2), ["gap"]),
            layer("relu", ReLU(), ["squeeze"], tops: ["squeeze"]),
            layer("excite", InnerProduct(outputCount: 6), ["squeeze"]),
            layer("sigmoid", Sigmoid(), ["excite"]),
            layer("gate", Reshape(shape: [0, 6, 1, 1]), ["sigmoid"]),
            layer("scaled", Eltwise(.product), ["x", "gate"]),
            conv("after", "scaled", 4, kernel: 3, pad: 1),
        ])),
        Case(name: "eltwise broadcasting [N, C, 1, 1] against [N, 1, H, W] (both operands broadcast)", network: network([3, 4, 5], [
            layer("gap", Pooling(method: .average, isGlobal: true), ["data"]),
            conv("plane", "data", 1),
            layer("sum", Eltwise(.sum), ["gap", "plane"]),
            layer("product", Eltwise(.product), ["plane", "gap"]),
            layer("cat", Concat(), ["sum", "product"]),
        ])),
        Case(name: "eltwise with constant operands of every shape and position", network: network([3, 4, 5], [
            layer("sumC", Eltwise(.sum, constant: [0.5, -1, 2], constantShape: [1, 3, 1, 1]), ["data"]),
            layer("cMinusX", Eltwise(.difference, constant: [0.5, -1, 2], constantShape: [3, 1, 1], constantPosition: 0), ["data"]),
            layer("xMinusC", Eltwise(.difference, constant: [0.25], constantShape: [1]), ["data"]),
            layer("productW", Eltwise(.product, constant: [1.5, -0.5, 2, 0.25, -3], constantShape: [5]), ["data"]),
            layer("quotientC", Eltwise(.quotient, constant: [2, -0.5, 4], constantShape: [1, 3, 1, 1]), ["data"]),
            layer("bounded", Clip(minimum: 0.5, maximum: 2), ["data"]),
            layer("cOverX", Eltwise(.quotient, constant: [1, 2, 3, 4], constantShape: [4, 1], constantPosition: 0), ["bounded"]),
            layer("maxC", Eltwise(.max, constant: [0.1], constantShape: [1]), ["data"]),
            layer("minC", Eltwise(.min, constant: (0..<12).map { Float($0 % 5) * 0.3 - 0.6 }, constantShape: [3, 4, 1]), ["data"]),
            layer("full", Eltwise(.sum, constant: (0..<60).map { Float($0 % 7) - 3 }, constantShape: [1, 3, 4, 5]), ["data"]),
            layer("middle", Eltwise(.sum, constant: [10, 20, 30], constantShape: [3, 1, 1], constantPosition: 1),
                  ["data", "bounded"]),
            layer("cat", Concat(), ["sumC", "cMinusX", "xMinusC", "productW", "quotientC", "cOverX", "maxC", "minC", "full",
                                    "middle"]),
        ])),

        // MARK: Element-wise activations
        Case(name: "clip (ReLU6 and others), sigmoid, hard sigmoid, hard swish, values across every bound",
             network: network([3, 4, 5], [
                layer("relu6", Clip(minimum: 0, maximum: 6), ["data"]),
                layer("clip", Clip(minimum: -0.5, maximum: 0.75), ["data"]),
                layer("lower", Clip(minimum: -1, maximum: .infinity), ["data"]),
                layer("sigmoid", Sigmoid(), ["data"]),
                layer("hardSigmoid", HardSigmoid(), ["data"]),
                layer("hardSigmoid6", HardSigmoid(alpha: 1.0 / 6, beta: 0.5), ["data"]),
                layer("hardSwish", HardSwish(), ["data"]),
                layer("cat", Concat(), ["relu6", "clip", "lower", "sigmoid", "hardSigmoid", "hardSigmoid6", "hardSwish"]),
             ]), inputScale: 8),
        Case(name: "element-wise activations in place after convolutions", network: network([3, 5, 5], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("relu6", Clip(minimum: 0, maximum: 6), ["c"], tops: ["c"]),
            conv("d", "c", 4, kernel: 3, pad: 1),
            layer("hs", HardSwish(), ["d"], tops: ["d"]),
            conv("e", "d", 4),
            layer("hsig", HardSigmoid(), ["e"], tops: ["e"]),
            layer("sig", Sigmoid(), ["e"], tops: ["e"]),
        ]), inputScale: 8),

        // MARK: BatchNormalization
        Case(name: "batch normalisation of the input, in place after a convolution, and of an inner product's [N, C]",
             network: network([3, 4, 5], [
                layer("bn0", BatchNormalization(), ["data"]),
                conv("c", "bn0", 4, kernel: 3, pad: 1),
                layer("bn1", BatchNormalization(), ["c"], tops: ["c"]),
                layer("fc", InnerProduct(outputCount: 6), ["c"]),
                layer("bn2", BatchNormalization(), ["fc"]),
             ])),

        // MARK: Reshape, Transpose, Split, Slice
        Case(name: "reshape: flatten, then [N, 4, 15] and [N, 2, 30, 1]", network: network([3, 4, 5], [
            layer("flat", Reshape(shape: [0, -1]), ["data"]),
            layer("r3", Reshape(shape: [0, 4, 15]), ["flat"]),
            layer("r4", Reshape(shape: [0, 2, -1, 1]), ["r3"]),
            layer("fc", InnerProduct(outputCount: 5), ["r4"]),
        ])),
        Case(name: "channel shuffle: reshape [N, 2, 3, H, W], transpose [0, 2, 1, 3, 4], reshape back", network: network([6, 3, 4], [
            layer("split5", Reshape(shape: [0, 2, 3, 3, 4]), ["data"]),
            layer("shuffle", Transpose(permutation: [0, 2, 1, 3, 4]), ["split5"]),
            layer("back", Reshape(shape: [0, 6, 3, 4]), ["shuffle"]),
            conv("after", "back", 4, kernel: 3, pad: 1, groups: 2),
        ])),
        Case(name: "transposes [0, 2, 3, 1] and [0, 3, 2, 1]", network: network([2, 3, 4], [
            layer("nhwc", Transpose(permutation: [0, 2, 3, 1]), ["data"]),
            layer("nwhc", Transpose(permutation: [0, 3, 2, 1]), ["data"]),
            layer("a", Reshape(shape: [0, -1]), ["nhwc"]),
            layer("b", Reshape(shape: [0, -1]), ["nwhc"]),
            layer("cat", Concat(), ["a", "b"]),
        ])),
        Case(name: "split along channels, height and width, concatenated back in other orders", network: network([5, 4, 6], [
            layer("byChannel", Split(axis: 1, sizes: [2, 3]), ["data"], tops: ["c0", "c1"]),
            layer("channels", Concat(axis: 1), ["c1", "c0"]),
            layer("byHeight", Split(axis: 2, sizes: [1, 2, 1]), ["channels"], tops: ["h0", "h1", "h2"]),
            layer("heights", Concat(axis: 2), ["h2", "h0", "h1"]),
            layer("byWidth", Split(axis: -1, sizes: [4, 2]), ["heights"], tops: ["w0", "w1"]),
            layer("widths", Concat(axis: -1), ["w1", "w0"]),
            conv("after", "widths", 3, kernel: 3, pad: 1),
        ])),
        Case(name: "inverted residual blocks: 1x1 expansions each run with the depthwise after them, ReLU6, stride 2",
             network: network([6, 9, 9], [
            conv("expand1", "data", 16),
            layer("r1", Clip(minimum: 0, maximum: 6), ["expand1"], tops: ["expand1"]),
            conv("dw1", "expand1", 16, kernel: 3, pad: 1, groups: 16),
            layer("r2", Clip(minimum: 0, maximum: 6), ["dw1"], tops: ["dw1"]),
            conv("project1", "dw1", 6),
            layer("sum", Eltwise(.sum), ["project1", "data"]),
            conv("expand2", "sum", 12),
            conv("dw2", "expand2", 12, kernel: 3, stride: 2, pad: 1, groups: 12),
            conv("project2", "dw2", 5),
        ])),
        // The depthwise output fits where the network input was: the input
        // must outlive the fused step, or panel 0's depthwise overwrites what
        // panel 1's GEMM still reads.
        Case(name: "a 1x1 over the network input, run with the depthwise after it", network: network([20, 9, 9], [
            conv("expand", "data", 16),
            conv("dw", "expand", 16, kernel: 3, pad: 1, groups: 16),
        ])),
        Case(name: "residual sums in a dense 1x1's epilogue: fused then ReLU6, residual in another layout, then h-swish",
             network: network([4, 6, 6], [
            conv("expand", "data", 8),
            conv("project", "expand", 4),
            layer("sum", Eltwise(.sum), ["project", "data"]),
            layer("relu6", Clip(minimum: 0, maximum: 6), ["sum"], tops: ["sum"]),
            conv("p2", "sum", 4),
            layer("sum2", Eltwise(.sum), ["p2", "sum"]),
            // Reads "sum" through a border, so p2's residual has another layout.
            conv("wide", "sum", 4, kernel: 3, pad: 1),
            conv("p3", "sum2", 4),
            layer("sum3", Eltwise(.sum), ["sum2", "p3"]),
            layer("hs", HardSwish(), ["sum3"], tops: ["sum3"]),
            layer("cat", Concat(), ["sum3", "wide"]),
        ])),
        Case(name: "split outputs feeding convolutions and an eltwise", network: network([4, 5, 5], [
            layer("split", Split(axis: 1, sizes: [1, 3]), ["data"], tops: ["one", "three"]),
            conv("a", "one", 3, kernel: 3, pad: 1),
            layer("sum", Eltwise(.sum), ["a", "three"]),
        ])),
        Case(name: "slice: negative starts, steps 1, 2, -1 and -2, several axes", network: network([5, 6, 7], [
            layer("s1", Slice(starts: [-5, 1], ends: [100, -1], axes: [2, 3], steps: [1, 2]), ["data"]),
            layer("s2", Slice(starts: [-1, -2], ends: [-100, 0], axes: [1, -1], steps: [-2, -1]), ["data"]),
            layer("s3", Slice(starts: [1, Int.min], ends: [Int.max, Int.max], axes: [1, 2], steps: [2, 3]), ["data"]),
            layer("s4", Slice(starts: [4], ends: [1], axes: [2], steps: [-1]), ["data"]),
            layer("f1", Reshape(shape: [0, -1]), ["s1"]),
            layer("f2", Reshape(shape: [0, -1]), ["s2"]),
            layer("f3", Reshape(shape: [0, -1]), ["s3"]),
            layer("f4", Reshape(shape: [0, -1]), ["s4"]),
            layer("cat", Concat(), ["f1", "f2", "f3", "f4"]),
        ])),
        Case(name: "slice of a padded convolution's output, into another convolution", network: network([3, 6, 6], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("s", Slice(starts: [-3, 0], ends: [4, 5], axes: [1, 3], steps: [1, 2]), ["c"]),
            conv("after", "s", 2, kernel: 3, pad: 1),
        ])),

        // MARK: The other operators
        Case(name: "softmax along channels in the middle of a network, into a padded convolution", network: network([3, 5, 5], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("softmax", Softmax(axis: 1), ["c"]),
            conv("after", "softmax", 3, kernel: 3, pad: 1),
        ])),
        Case(name: "softmax along channels of a blob a padded convolution also reads", network: network([3, 5, 5], [
            conv("c", "data", 4, kernel: 3, pad: 1),
            layer("softmax", Softmax(axis: 1), ["c"]),
            conv("other", "c", 4, kernel: 3, pad: 1),
            layer("cat", Concat(), ["softmax", "other"]),
        ])),
        Case(name: "softmax along the width and along channels of [N, C], LRN, dropout", network: network([4, 3, 5], [
            layer("softmaxW", Softmax(axis: -1), ["data"]),
            layer("lrn", LRN(localSize: 3, alpha: 0.5, beta: 0.75, k: 2), ["data"]),
            layer("lrnWithin", LRN(localSize: 3, alpha: 0.5, beta: 0.75, region: .withinChannel), ["data"]),
            layer("drop", Dropout(), ["lrn"]),
            layer("cat", Concat(), ["softmaxW", "drop", "lrnWithin"]),
            layer("fc", InnerProduct(outputCount: 7, hasBias: false), ["cat"]),
            layer("leaky", ReLU(negativeSlope: 0.1), ["fc"]),
            layer("softmax", Softmax(), ["leaky"]),
        ])),
    ]

    // MARK: Parameters and inputs

    enum Form: String, CaseIterable, Sendable { case dense, sparse }

    static func model(_ network: Network, form: Form = .dense, seed: UInt64 = 5) throws -> Model {
        var random = SplitMix64(seed: seed)
        var parameters: [String: LayerParameters] = [:]
        let shapes = try network.inferShapes()
        for (layer, s) in zip(network.layers, shapes.layers) {
            guard let shape = s.weight else { continue }
            let isNormalisation = layer.kind is BatchNormalization
            let values = (0..<shape.elementCount).map { _ in isNormalisation ? 0.5 + random.uniform() : random.symmetric() * 0.5 }
            let bias = (0..<s.biasCount).map { _ in random.symmetric() * 0.3 }
            let weights: WeightTensor
            switch form {
            case .dense:
                weights = WeightTensor(shape: shape, values: values)
            case .sparse:
                let positions = values.indices.filter { _ in random.uniform() < 0.5 }
                weights = WeightTensor(shape: shape, storage: .sparse(positions: positions.map(UInt32.init),
                                                                      values: positions.map { values[$0] }))
            }
            parameters[layer.name] = LayerParameters(weights: weights, bias: bias)
        }
        return Model(network: network, parameters: parameters)
    }

    static func input(_ c: Case) -> [Float] {
        var random = SplitMix64(seed: 9)
        return (0..<c.network.inputs[0].shape.elementCount).map { _ in random.symmetric() * c.inputScale }
    }

    // MARK: Coverage

    @Test("every registered operator type is run by some case")
    func everyOperatorIsCovered() {
        let covered = Set(Self.cases.flatMap { $0.network.layers.map(\.kind.typeName) })
        let registered = Set(OperatorRegistry.names)
        #expect(covered == registered,
                "missing: \(registered.subtracting(covered).sorted()), unknown: \(covered.subtracting(registered).sorted())")
    }

    // MARK: Dense against the reference

    @Test("dense forward pass: every blob matches the naive reference", arguments: cases)
    func denseMatchesReference(_ c: Case) throws {
        #expect(c.network.outputNames.count == 1, "\(c.name): outputs \(c.network.outputNames)")
        let model = try Self.model(c.network)
        let program = try DenseProgram(model: model, batchSize: Self.batch)
        let executor = try program.makeExecutor()
        let x = Self.input(c)
        let output = try executor.run(x)
        let blobs = OperatorReference.run(model, input: x)
        for name in blobs.keys.sorted() {
            let expected = try #require(blobs[name])
            #expect(program.shapes.blobs[name]?.dimensions == expected.shape,
                    "\(c.name): blob '\(name)' has shape \(program.shapes.blobs[name].map(\.description) ?? "nil"), expected \(expected.shape)")
            guard let actual = executor.blob(named: name) else {
                Issue.record("\(c.name): the dense executor has no blob '\(name)'")
                continue
            }
            guard actual.count == expected.values.count else {
                Issue.record("\(c.name): blob '\(name)' has \(actual.count) values, expected \(expected.values.count)")
                continue
            }
            let scale = max(expected.values.map(abs).max() ?? 0, 1e-2)
            let (worst, at) = Self.worstDifference(actual, expected.values)
            #expect(worst <= 1e-4 * scale,
                    "\(c.name): blob '\(name)' differs by \(worst) at \(at) (index \(OperatorReference.unravel(at, expected.shape))): dense \(actual[at]), reference \(expected.values[at]); scale \(scale)")
        }
        let last = try #require(blobs[c.network.outputNames.last ?? ""])
        #expect(output.count == last.values.count)
        #expect(executor.outputShape.dimensions == last.shape)
    }

    static func worstDifference(_ a: [Float], _ b: [Float]) -> (Float, Int) {
        var worst: Float = 0, at = 0
        for i in a.indices {
            let d = abs(a[i] - b[i])
            if !(d <= worst) { worst = d; at = i }  // NaN counts as the worst
            if d.isNaN { return (.nan, i) }
        }
        return (worst, at)
    }

    @Test("dense forward pass: a batch of two gives each image's batch-1 output", arguments: cases)
    func batchGivesEachImage(_ c: Case) throws {
        let model = try Self.model(c.network)
        let x = Self.input(c)
        let together = try DenseProgram(model: model, batchSize: Self.batch).makeExecutor().run(x)
        let single = try DenseProgram(model: model, batchSize: 1).makeExecutor()
        let inputCount = x.count / Self.batch, outputCount = together.count / Self.batch
        for n in 0..<Self.batch {
            let alone = try single.run(Array(x[(n * inputCount)..<((n + 1) * inputCount)]))
            let part = Array(together[(n * outputCount)..<((n + 1) * outputCount)])
            let scale = max(alone.map(abs).max() ?? 0, 1e-3)
            let (worst, at) = Self.worstDifference(part, alone)
            #expect(worst <= 1e-5 * scale, "\(c.name): image \(n) differs by \(worst) at \(at) (batch \(part[at]), alone \(alone[at]))")
        }
    }

    /// An operand that is a blob (it has a batch axis) of lower rank than the
    /// output: NumPy would align its batch axis with another axis of the
    /// output, mixing images. The operator must either refuse it or keep
    /// images apart; it must not give image 1 values computed from image 0.
    @Test("eltwise with a lower-rank blob operand is refused or keeps images apart")
    func lowerRankBlobOperand() throws {
        let network = Self.network([2, 2, 2], [
            Self.layer("gap", Pooling(method: .average, isGlobal: true), ["data"]),
            Self.layer("flat", Reshape(shape: [0, -1]), ["gap"]),
            Self.layer("sum", Eltwise(.sum), ["data", "flat"]),
        ])
        let model = Model(network: network, parameters: [:])
        guard (try? network.inferShapes()) != nil, let program = try? DenseProgram(model: model, batchSize: Self.batch) else {
            return  // refused: fine
        }
        var random = SplitMix64(seed: 3)
        let x = (0..<16).map { _ in random.symmetric() * 3 }
        let together = try program.makeExecutor().run(x)
        let single = try DenseProgram(model: model, batchSize: 1).makeExecutor()
        let shape = try network.inferShapes().blobs["sum"]!
        for n in 0..<Self.batch {
            let alone = try single.run(Array(x[(n * 8)..<((n + 1) * 8)]))
            let part = Array(together[(n * 8)..<((n + 1) * 8)])
            #expect(maxAbsDifference(part, alone) <= 1e-5,
                    "image \(n): batch of two gives \(part), alone \(alone) (output shape at batch 2: \(shape))")
        }
    }

    // MARK: Compressed against dense

    @Test("compressed engine agrees with dense within 1e-4 of the largest magnitude, 1 and 2 threads",
          arguments: cases, Form.allCases)
    func compressedMatchesDense(_ c: Case, form: Form) throws {
        let model = try Self.model(c.network, form: form)
        let dense = try DenseProgram(model: model, batchSize: Self.batch).makeExecutor()
        let x = Self.input(c)
        let expected = try dense.run(x)
        let network = try CompressedNetwork(model: model)
        for threads in [1, 2] {
            let executor: CompressedExecutor
            do {
                executor = try network.program(batchSize: Self.batch, threads: threads).makeExecutor()
            } catch {
                Issue.record("\(c.name): the compressed engine refuses the network (\(threads) thread(s)): \(error)")
                continue
            }
            #expect(executor.outputShape == dense.outputShape)
            // Twice: the second run starts from the first run's arena.
            for run in 0..<2 {
                let output = try executor.run(x)
                let scale = max(expected.map(abs).max() ?? 0, 1e-3)
                let (worst, at) = Self.worstDifference(output, expected)
                #expect(worst <= 1e-4 * scale,
                        "\(c.name), \(form), \(threads) thread(s), run \(run): max |difference| \(worst) at \(at) (compressed \(output[at]), dense \(expected[at])), scale \(scale)")
            }
        }
    }

    /// The compressed engine's step names for the case whose name starts with `prefix`.
    static func compressedSteps(ofCase prefix: String, threads: Int) throws -> [String] {
        let c = try #require(cases.first { $0.name.hasPrefix(prefix) })
        let executor = try CompressedNetwork(model: model(c.network)).program(batchSize: 1, threads: threads).makeExecutor()
        executor.startProfiling()
        return try #require(executor.profile).names
    }

    @Test("residual sums made by a dense 1x1 run in its epilogue, not as steps of their own")
    func residualSumsAreFused() throws {
        let steps = try Self.compressedSteps(ofCase: "residual sums", threads: 1)
        #expect(!steps.contains { $0.hasPrefix("sum") }, "steps: \(steps)")
        #expect(steps.contains("p3"), "steps: \(steps)")
    }

    @Test("a 1x1 expansion and the depthwise convolution after it run as one step")
    func expansionAndDepthwiseFused() throws {
        let steps = try Self.compressedSteps(ofCase: "inverted residual blocks", threads: 2)
        #expect(steps.contains("expand1 + dw1") && steps.contains("expand2 + dw2"), "steps: \(steps)")
    }

    // MARK: Attributes

    /// One instance per operator type used by the cases (the first found), and every instance.
    static var operators: [any Operator] { cases.flatMap { $0.network.layers.map(\.kind) } }

    static var firstOfEachType: [String: any Operator] {
        var result: [String: any Operator] = [:]
        for op in operators where result[op.typeName] == nil { result[op.typeName] = op }
        return result
    }

    @Test("every operator rebuilds from its attributes, directly and through the registry")
    func attributeRoundTrips() throws {
        for op in Self.operators {
            let attributes = op.attributes
            let rebuilt = try type(of: op).init(attributes: attributes)
            #expect(rebuilt.attributes == attributes, "\(op): rebuilt as \(rebuilt)")
            #expect(rebuilt.isEqual(to: op), "\(op): rebuilt as \(rebuilt)")
            #expect(rebuilt.typeName == op.typeName)
            let made = try OperatorRegistry.make(op.typeName, attributes: attributes)
            #expect(made.attributes == attributes, "\(op): made as \(made)")
            #expect(made.isEqual(to: op), "\(op): made as \(made)")
            #expect(type(of: made) == type(of: op), "\(op): made as \(type(of: made))")
        }
    }

    @Test("every case's network rebuilt from attributes through the registry gives the same outputs", arguments: cases)
    func rebuiltNetworkRunsTheSame(_ c: Case) throws {
        var rebuilt = c.network
        for i in rebuilt.layers.indices {
            rebuilt.layers[i].kind = try OperatorRegistry.make(c.network.layers[i].kind.typeName,
                                                               attributes: c.network.layers[i].kind.attributes)
        }
        #expect(rebuilt == c.network)
        let original = try Self.model(c.network)
        let copy = Model(network: rebuilt, parameters: original.parameters)
        let x = Self.input(c)
        let a = try DenseProgram(model: original, batchSize: Self.batch).makeExecutor().run(x)
        let b = try DenseProgram(model: copy, batchSize: Self.batch).makeExecutor().run(x)
        #expect(a == b)
    }

    @Test("unknown attribute names are refused by every operator type")
    func unknownAttributes() throws {
        for (name, op) in Self.firstOfEachType.sorted(by: { $0.key < $1.key }) {
            var attributes = op.attributes
            attributes["no_such_attribute"] = .int(1)
            #expect(throws: AttributeError.self, "\(name)") { try type(of: op).init(attributes: attributes) }
            #expect(throws: AttributeError.self, "\(name)") { try OperatorRegistry.make(name, attributes: attributes) }
        }
        #expect(throws: AttributeError.self) { try OperatorRegistry.make("NoSuchOperator", attributes: Attributes()) }
    }

    /// A value of another type than `value`, which no reader of `value`'s type accepts.
    static func wrongType(for value: AttributeValue) -> AttributeValue {
        switch value {
        case .int: .string("wrong")
        case .float: .string("wrong")
        case .ints: .floats([1.5])
        case .floats: .ints([1])
        case .string: .int(1)
        }
    }

    /// Attributes each type knows with a value of a wrong type (or a refused value),
    /// including attributes the instances leave at their defaults.
    static let wrongValues: [String: [(String, AttributeValue)]] = [
        "Convolution": [("num_output", .float(2.5)), ("kernel", .string("3")), ("pads", .ints([1, 1])), ("group", .ints([1, 2])),
                        ("bias", .int(2)), ("dilation", .floats([1]))],
        "InnerProduct": [("num_output", .string("4")), ("bias", .float(1))],
        "ReLU": [("negative_slope", .string("0.1")), ("negative_slope", .ints([1]))],
        "Pooling": [("method", .int(0)), ("method", .string("median")), ("count_include_pad", .float(1)), ("global", .string("yes")),
                    ("rounding", .string("nearest")), ("pads", .ints([1]))],
        "Concat": [("axis", .floats([1])), ("axis", .float(1))],
        "Dropout": [("ratio", .ints([1])), ("ratio", .string("half"))],
        "LRN": [("region", .int(1)), ("region", .string("everywhere")), ("size", .float(3)), ("alpha", .string("1"))],
        "Softmax": [("axis", .string("1"))],
        "Eltwise": [("operation", .int(0)), ("operation", .string("power")), ("constant", .ints([1])),
                    ("constant_shape", .floats([1])), ("constant_position", .float(0))],
        "Clip": [("min", .string("0")), ("max", .ints([6]))],
        "Sigmoid": [("alpha", .float(1))],
        "HardSigmoid": [("alpha", .string("0.2")), ("beta", .ints([1]))],
        "HardSwish": [("alpha", .float(1))],
        "BatchNormalization": [("epsilon", .float(1e-5))],
        "Reshape": [("shape", .string("0, -1")), ("shape", .floats([0, -1]))],
        "Transpose": [("perm", .floats([0, 2, 1, 3])), ("perm", .string("0231"))],
        "Split": [("split", .string("2,3")), ("axis", .ints([1, 2]))],
        "Slice": [("starts", .floats([0])), ("ends", .string("end")), ("axes", .float(1)), ("steps", .string("1"))],
    ]

    @Test("attributes of a wrong type are refused")
    func wrongAttributeTypes() throws {
        for (name, op) in Self.firstOfEachType.sorted(by: { $0.key < $1.key }) {
            // Every attribute the instance sets, given a value of another type.
            for entry in op.attributes.entries {
                var attributes = op.attributes
                attributes[entry.name] = Self.wrongType(for: entry.value)
                #expect(throws: AttributeError.self, "\(name).\(entry.name) = \(attributes[entry.name]!)") {
                    try type(of: op).init(attributes: attributes)
                }
                #expect(throws: AttributeError.self, "\(name).\(entry.name) = \(attributes[entry.name]!)") {
                    try OperatorRegistry.make(name, attributes: attributes)
                }
            }
            // Attributes it knows, set wrongly.
            let wrong = try #require(Self.wrongValues[name], "no wrong attribute values listed for \(name)")
            for (attribute, value) in wrong {
                var attributes = op.attributes
                attributes[attribute] = value
                #expect(throws: AttributeError.self, "\(name).\(attribute) = \(value)") {
                    try OperatorRegistry.make(name, attributes: attributes)
                }
            }
        }
        #expect(Set(Self.wrongValues.keys) == Set(OperatorRegistry.names))
    }

    @Test("required attributes are required")
    func requiredAttributes() {
        #expect(throws: AttributeError.self) { try OperatorRegistry.make("Convolution", attributes: Attributes([("kernel", .ints([3]))])) }
        #expect(throws: AttributeError.self) { try OperatorRegistry.make("InnerProduct", attributes: Attributes()) }
    }
}

// MARK: - The reference interpreter

/// Textbook loops for every operator, written from the documented semantics,
/// run in Double where sums are involved.
enum OperatorReference {
    struct Tensor {
        var shape: [Int]
        var values: [Float]
        var count: Int { shape.reduce(1, *) }
    }

    /// Every blob's newest value after running `model` on `input`.
    static func run(_ model: Model, input: [Float]) -> [String: Tensor] {
        let network = model.network
        var blobs: [String: Tensor] = [network.inputs[0].name: Tensor(shape: network.inputs[0].shape.dimensions, values: input)]
        for layer in network.layers {
            let inputs = layer.bottoms.map { blobs[$0]! }
            let p = model.parameters[layer.name]
            let outputs = evaluate(layer.kind, inputs, weights: p?.weights.denseValues() ?? [], bias: p?.bias ?? [])
            precondition(outputs.count == layer.tops.count, "\(layer.name): \(outputs.count) outputs")
            for (top, t) in zip(layer.tops, outputs) {
                precondition(t.values.count == t.count, "\(layer.name): \(t.values.count) values for \(t.shape)")
                blobs[top] = t
            }
        }
        return blobs
    }

    static func evaluate(_ op: any Operator, _ x: [Tensor], weights w: [Float], bias b: [Float]) -> [Tensor] {
        switch op {
        case let p as Convolution: return [convolution(x[0], p, w, b)]
        case let p as InnerProduct: return [innerProduct(x[0], p, w, b)]
        case let p as ReLU: return [map(x[0]) { $0 > 0 ? $0 : $0 * p.negativeSlope }]
        case let p as Pooling: return [pooling(x[0], p)]
        case let p as Concat: return [concat(x, axis: p.axis)]
        case is Dropout: return [x[0]]
        case let p as LRN: return [lrn(x[0], p)]
        case let p as Softmax: return [softmax(x[0], axis: p.axis)]
        case let p as Eltwise: return [eltwise(x, p)]
        case let p as Clip: return [map(x[0]) { v in v < p.minimum ? p.minimum : v > p.maximum ? p.maximum : v }]
        case is Sigmoid: return [map(x[0]) { Float(1 / (1 + exp(-Double($0)))) }]
        case let p as HardSigmoid: return [map(x[0]) { v in Swift.max(0, Swift.min(1, p.alpha * v + p.beta)) }]
        case is HardSwish: return [map(x[0]) { v in v <= -3 ? 0 : v >= 3 ? v : v * (v + 3) / 6 }]
        case is BatchNormalization: return [batchNormalization(x[0], w, b)]
        case let p as Reshape: return [reshape(x[0], p.shape)]
        case let p as Transpose: return [transpose(x[0], p.permutation)]
        case let p as Split: return split(x[0], axis: p.axis, sizes: p.sizes)
        case let p as Slice: return [slice(x[0], p)]
        default:
            Issue.record("no reference for \(op.typeName)")
            return []
        }
    }

    // MARK: Indexing

    static func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count), rest = flat
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    static func ravel(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    static func axis(_ a: Int, rank: Int) -> Int { a < 0 ? a + rank : a }

    static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor { Tensor(shape: x.shape, values: x.values.map(f)) }

    // MARK: Operators

    static func convolution(_ x: Tensor, _ p: Convolution, _ w: [Float], _ b: [Float]) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (p.kernel.height, p.kernel.width)
        let oh = (h + p.padding.height + p.paddingEnd.height - (p.dilation.height * (kh - 1) + 1)) / p.stride.height + 1
        let ow = (wd + p.padding.width + p.paddingEnd.width - (p.dilation.width * (kw - 1) + 1)) / p.stride.width + 1
        let m = p.outputChannels, cg = c / p.groups, mg = m / p.groups
        var y = [Float](repeating: 0, count: n * m * oh * ow)
        for image in 0..<n {
            for o in 0..<m {
                let g = o / mg
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum = p.hasBias ? Double(b[o]) : 0
                        for ci in 0..<cg {
                            for ky in 0..<kh {
                                let iy = oy * p.stride.height - p.padding.height + ky * p.dilation.height
                                guard iy >= 0, iy < h else { continue }
                                for kx in 0..<kw {
                                    let ix = ox * p.stride.width - p.padding.width + kx * p.dilation.width
                                    guard ix >= 0, ix < wd else { continue }
                                    sum += Double(x.values[((image * c + g * cg + ci) * h + iy) * wd + ix])
                                        * Double(w[((o * cg + ci) * kh + ky) * kw + kx])
                                }
                            }
                        }
                        y[((image * m + o) * oh + oy) * ow + ox] = Float(sum)
                    }
                }
            }
        }
        return Tensor(shape: [n, m, oh, ow], values: y)
    }

    static func innerProduct(_ x: Tensor, _ p: InnerProduct, _ w: [Float], _ b: [Float]) -> Tensor {
        let n = x.shape[0], k = x.count / n, m = p.outputCount
        var y = [Float](repeating: 0, count: n * m)
        for image in 0..<n {
            for o in 0..<m {
                var sum = p.hasBias ? Double(b[o]) : 0
                for i in 0..<k { sum += Double(x.values[image * k + i]) * Double(w[o * k + i]) }
                y[image * m + o] = Float(sum)
            }
        }
        return Tensor(shape: [n, m], values: y)
    }

    /// The output size along one axis: PyTorch/ONNX rounding, the last window
    /// starting inside the input or its leading padding.
    static func pooledSize(_ size: Int, kernel: Int, stride: Int, pad: Int, padEnd: Int, ceil: Bool) -> Int {
        let span = size + pad + padEnd - kernel
        var out = (ceil ? (span + stride - 1) / stride : span / stride) + 1
        if (out - 1) * stride >= size + pad { out -= 1 }
        return out
    }

    static func pooling(_ x: Tensor, _ p: Pooling) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = p.isGlobal ? (h, w) : (p.kernel.height, p.kernel.width)
        let (sh, sw) = p.isGlobal ? (1, 1) : (p.stride.height, p.stride.width)
        let (pt, pl, pb, pr) = p.isGlobal ? (0, 0, 0, 0) : (p.padding.height, p.padding.width, p.paddingEnd.height, p.paddingEnd.width)
        let oh = p.isGlobal ? 1 : pooledSize(h, kernel: kh, stride: sh, pad: pt, padEnd: pb, ceil: p.rounding == .ceil)
        let ow = p.isGlobal ? 1 : pooledSize(w, kernel: kw, stride: sw, pad: pl, padEnd: pr, ceil: p.rounding == .ceil)
        var y = [Float](repeating: 0, count: n * c * oh * ow)
        for plane in 0..<(n * c) {
            for oy in 0..<oh {
                // The window in padded coordinates, clipped to the padded input.
                let y0 = oy * sh - pt, y1 = Swift.min(y0 + kh, h + pb)
                for ox in 0..<ow {
                    let x0 = ox * sw - pl, x1 = Swift.min(x0 + kw, w + pr)
                    var best = -Double.infinity, sum: Double = 0, covered = 0
                    for iy in Swift.max(y0, 0)..<Swift.max(Swift.min(y1, h), Swift.max(y0, 0)) {
                        for ix in Swift.max(x0, 0)..<Swift.max(Swift.min(x1, w), Swift.max(x0, 0)) {
                            let v = Double(x.values[(plane * h + iy) * w + ix])
                            best = Swift.max(best, v)
                            sum += v
                            covered += 1
                        }
                    }
                    let divisor = p.countsPadding ? (y1 - y0) * (x1 - x0) : Swift.max(covered, 1)
                    y[(plane * oh + oy) * ow + ox] = Float(p.method == .max ? best : sum / Double(divisor))
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], values: y)
    }

    static func concat(_ xs: [Tensor], axis a: Int) -> Tensor {
        let a = axis(a, rank: xs[0].shape.count)
        var shape = xs[0].shape
        shape[a] = xs.reduce(0) { $0 + $1.shape[a] }
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        var offset = 0
        for x in xs {
            for i in 0..<x.count {
                var index = unravel(i, x.shape)
                index[a] += offset
                y[ravel(index, shape)] = x.values[i]
            }
            offset += x.shape[a]
        }
        return Tensor(shape: shape, values: y)
    }

    static func split(_ x: Tensor, axis a: Int, sizes: [Int]) -> [Tensor] {
        let a = axis(a, rank: x.shape.count)
        var offset = 0
        return sizes.map { size in
            var shape = x.shape
            shape[a] = size
            var values = [Float](repeating: 0, count: shape.reduce(1, *))
            for i in values.indices {
                var index = unravel(i, shape)
                index[a] += offset
                values[i] = x.values[ravel(index, x.shape)]
            }
            offset += size
            return Tensor(shape: shape, values: values)
        }
    }

    static func lrn(_ x: Tensor, _ p: LRN) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let half = (p.localSize - 1) / 2
        var y = x.values
        for i in 0..<x.count {
            let idx = unravel(i, x.shape)
            var sum: Double = 0
            let scale: Double
            switch p.region {
            case .acrossChannels:
                for j in Swift.max(0, idx[1] - half)...Swift.min(c - 1, idx[1] + half) {
                    let v = Double(x.values[ravel([idx[0], j, idx[2], idx[3]], x.shape)])
                    sum += v * v
                }
                scale = Double(p.k) + Double(p.alpha) / Double(p.localSize) * sum
            case .withinChannel:
                // Zero padding: a window of size^2 values, those outside add nothing.
                for wy in (idx[2] - half)...(idx[2] + half) where (0..<h).contains(wy) {
                    for wx in (idx[3] - half)...(idx[3] + half) where (0..<w).contains(wx) {
                        let v = Double(x.values[ravel([idx[0], idx[1], wy, wx], x.shape)])
                        sum += v * v
                    }
                }
                scale = 1 + Double(p.alpha) / Double(p.localSize * p.localSize) * sum
            }
            y[i] = Float(Double(x.values[i]) * pow(scale, -Double(p.beta)))
        }
        _ = n
        return Tensor(shape: x.shape, values: y)
    }

    static func softmax(_ x: Tensor, axis a: Int) -> Tensor {
        let a = axis(a, rank: x.shape.count)
        var y = x.values
        for i in 0..<x.count {
            var index = unravel(i, x.shape)
            guard index[a] == 0 else { continue }
            var positions: [Int] = []
            for k in 0..<x.shape[a] {
                index[a] = k
                positions.append(ravel(index, x.shape))
            }
            let top = positions.map { Double(x.values[$0]) }.max()!
            let e = positions.map { exp(Double(x.values[$0]) - top) }
            let total = e.reduce(0, +)
            for (k, position) in positions.enumerated() { y[position] = Float(e[k] / total) }
        }
        return Tensor(shape: x.shape, values: y)
    }

    /// NumPy broadcasting: operands aligned on their last axes, size-1 axes repeated.
    static func eltwise(_ inputs: [Tensor], _ p: Eltwise) -> Tensor {
        var operands = inputs
        if !p.constant.isEmpty {
            operands.insert(Tensor(shape: p.constantShape, values: p.constant), at: p.constantPosition)
        }
        let rank = operands.map(\.shape.count).max()!
        var shape = [Int](repeating: 1, count: rank)
        for t in operands {
            for (k, d) in t.shape.enumerated() where d != 1 { shape[rank - t.shape.count + k] = d }
        }
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        for i in y.indices {
            let index = unravel(i, shape)
            var value: Float = 0
            for (k, t) in operands.enumerated() {
                let lead = rank - t.shape.count
                var offset = 0
                for (j, d) in t.shape.enumerated() { offset = offset * d + (d == 1 ? 0 : index[lead + j]) }
                let v = t.values[offset]
                if k == 0 { value = v; continue }
                switch p.operation {
                case .sum: value += v
                case .difference: value -= v
                case .product: value *= v
                case .quotient: value /= v
                case .max: value = Swift.max(value, v)
                case .min: value = Swift.min(value, v)
                }
            }
            y[i] = value
        }
        return Tensor(shape: shape, values: y)
    }

    static func batchNormalization(_ x: Tensor, _ w: [Float], _ b: [Float]) -> Tensor {
        var y = x.values
        for i in y.indices {
            let channel = unravel(i, x.shape)[1]
            y[i] = x.values[i] * w[channel] + (b.isEmpty ? 0 : b[channel])
        }
        return Tensor(shape: x.shape, values: y)
    }

    static func reshape(_ x: Tensor, _ target: [Int]) -> Tensor {
        var shape = target.enumerated().map { axis, d in d == 0 ? x.shape[axis] : d }
        if let inferred = shape.firstIndex(of: -1) {
            shape[inferred] = 1
            shape[inferred] = x.count / shape.reduce(1, *)
        }
        return Tensor(shape: shape, values: x.values)
    }

    static func transpose(_ x: Tensor, _ permutation: [Int]) -> Tensor {
        let shape = permutation.map { x.shape[$0] }
        var y = [Float](repeating: 0, count: x.count)
        for i in y.indices {
            let out = unravel(i, shape)
            var source = [Int](repeating: 0, count: shape.count)
            for (k, axis) in permutation.enumerated() { source[axis] = out[k] }
            y[i] = x.values[ravel(source, x.shape)]
        }
        return Tensor(shape: shape, values: y)
    }

    /// ONNX Slice: negative starts and ends count from the end; starts and
    /// ends are clamped to `[0, d]` (positive steps) or `[-1, d - 1]` (negative).
    static func slice(_ x: Tensor, _ p: Slice) -> Tensor {
        var positions = x.shape.map { Array(0..<$0) }
        for k in p.axes.indices {
            let a = axis(p.axes[k], rank: x.shape.count), d = x.shape[a], step = p.steps[k]
            // Clamp far-out values first (Int.min + d would overflow).
            var start = Swift.min(Swift.max(p.starts[k], -2 * d), 2 * d)
            var end = Swift.min(Swift.max(p.ends[k], -2 * d), 2 * d)
            if start < 0 { start += d }
            if end < 0 { end += d }
            var list: [Int] = []
            if step > 0 {
                start = Swift.min(Swift.max(start, 0), d)
                end = Swift.min(Swift.max(end, 0), d)
                var i = start
                while i < end { list.append(i); i += step }
            } else {
                start = Swift.min(Swift.max(start, -1), d - 1)
                end = Swift.min(Swift.max(end, -1), d - 1)
                var i = start
                while i > end { list.append(i); i += step }
            }
            positions[a] = list
        }
        let shape = positions.map(\.count)
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        for i in y.indices {
            let out = unravel(i, shape)
            y[i] = x.values[ravel(out.enumerated().map { positions[$0.offset][$0.element] }, x.shape)]
        }
        return Tensor(shape: shape, values: y)
    }
}
