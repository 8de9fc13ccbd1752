import SqueezeModel
import SqueezeTrain
import Testing

/// Analytic gradients against central finite differences for every operator
/// type in `OperatorRegistry`, one tiny network per operator and attribute
/// variant, built directly in Swift. Each operator sits between weighted
/// layers (usually convolution -> OPERATOR -> inner product), so the weights
/// upstream see the operator's input gradient and the weights downstream its
/// output; weighted operators (BatchNormalization) have their own weight and
/// bias gradients checked too.
@Suite("operator gradients match finite differences")
struct OperatorGradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let network: Network
        /// The input values are Gaussian times this (spreads values across clip bounds and kinks).
        var inputScale: Float = 1
        var testDescription: String { name }
    }

    // MARK: Building networks

    static func network(_ input: [Int], _ layers: [Layer]) -> Network {
        Network(name: "check", inputs: [NetworkInput(name: "data", shape: TensorShape(input))], layers: layers)
    }

    /// A layer whose single top is named after it.
    static func layer(_ name: String, _ op: any Operator, _ bottoms: [String], tops: [String]? = nil) -> Layer {
        Layer(name: name, kind: op, bottoms: bottoms, tops: tops ?? [name])
    }

    static func conv(_ name: String, _ bottom: String, _ outputs: Int, kernel: Int = 1, stride: Int = 1, pad: Int = 0,
                     groups: Int = 1) -> Layer {
        layer(name, Convolution(outputChannels: outputs, kernel: Spatial(kernel), stride: Spatial(stride), padding: Spatial(pad),
                                groups: groups), [bottom])
    }

    static func fc(_ bottom: String, _ outputs: Int = 5, name: String = "fc") -> Layer {
        layer(name, InnerProduct(outputCount: outputs), [bottom])
    }

    /// `data -> 1x1 conv "pre" (channels) -> op -> fc`: the common sandwich.
    static func sandwich(_ name: String, input: [Int], channels: Int, _ op: any Operator, inputScale: Float = 1) -> Case {
        Case(name: name, network: network(input, [
            conv("pre", "data", channels),
            layer("op", op, ["pre"]),
            fc("op"),
        ]), inputScale: inputScale)
    }

    /// Two 1x1 convolutions of the input, combined by `op`, then an inner product.
    static func twoBranches(_ name: String, _ op: Eltwise, input: [Int] = [2, 3, 4, 4], channels: Int = 3) -> Case {
        Case(name: name, network: network(input, [
            conv("a", "data", channels),
            conv("b", "data", channels, kernel: 3, pad: 1),
            layer("op", op, ["a", "b"]),
            fc("op"),
        ]))
    }

    /// Squeeze-and-excitation: `x * sigmoid(fc(gap(x)))` with the gate reshaped
    /// to `[N, C, 1, 1]`, combined by `operation` (the gate first when `gateFirst`).
    static func gated(_ name: String, _ operation: Eltwise.Operation, gateFirst: Bool = false) -> Case {
        Case(name: name, network: network([2, 3, 5, 5], [
            conv("x", "data", 4, kernel: 3, pad: 1),
            layer("gap", Pooling(method: .average, isGlobal: true), ["x"]),
            layer("squeeze", InnerProduct(outputCount: 4), ["gap"]),
            layer("sigmoid", Sigmoid(), ["squeeze"]),
            layer("gate", Reshape(shape: [0, -1, 1, 1]), ["sigmoid"]),
            layer("op", Eltwise(operation), gateFirst ? ["gate", "x"] : ["x", "gate"]),
            fc("op"),
        ]))
    }

    /// `conv -> Eltwise with a constant operand -> fc`.
    static func constant(_ name: String, _ op: Eltwise, channels: Int = 3) -> Case {
        Case(name: name, network: network([2, 2, 4, 4], [
            conv("pre", "data", channels, kernel: 3, pad: 1),
            layer("op", op, ["pre"]),
            fc("op"),
        ]))
    }

    static func pooling(_ name: String, input: [Int] = [2, 2, 7, 7], _ p: Pooling) -> Case {
        Case(name: name, network: network(input, [conv("pre", "data", 3), layer("pool", p, ["pre"]), fc("pool")]))
    }

    static let cases: [Case] = [
        // MARK: Convolution
        Case(name: "convolution 3x3 pad 1 (no bias) + inner product (no bias)", network: network([2, 3, 5, 5], [
            layer("conv", Convolution(outputChannels: 4, kernel: Spatial(3), padding: Spatial(1), hasBias: false), ["data"]),
            layer("fc", InnerProduct(outputCount: 4, hasBias: false), ["conv"]),
        ])),
        sandwich("depthwise convolution (groups == channels == num_output)", input: [2, 3, 6, 6], channels: 4,
                 Convolution(outputChannels: 4, kernel: Spatial(3), padding: Spatial(1), groups: 4)),
        sandwich("depthwise convolution with channel multiplier 2, stride 2", input: [2, 3, 7, 7], channels: 3,
                 Convolution(outputChannels: 6, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1), groups: 3)),
        sandwich("dilated convolution (dilation 2, pad 2)", input: [2, 2, 7, 7], channels: 3,
                 Convolution(outputChannels: 3, kernel: Spatial(3), padding: Spatial(2), dilation: Spatial(2))),
        sandwich("dilated convolution (dilation 2x1, kernel 2x3, no pad)", input: [2, 2, 6, 6], channels: 2,
                 Convolution(outputChannels: 3, kernel: Spatial(height: 2, width: 3), dilation: Spatial(height: 2, width: 1))),
        sandwich("asymmetric padding (top 0 left 1, bottom 2 right 0), kernel 3x2", input: [2, 2, 5, 6], channels: 3,
                 Convolution(outputChannels: 3, kernel: Spatial(height: 3, width: 2), padding: Spatial(height: 0, width: 1),
                             paddingEnd: Spatial(height: 2, width: 0))),
        sandwich("stride 2, asymmetric padding (top 1 left 0, bottom 0 right 1)", input: [2, 2, 7, 8], channels: 3,
                 Convolution(outputChannels: 4, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 1, width: 0),
                             paddingEnd: Spatial(height: 0, width: 1))),
        sandwich("stride 2 pad 1, grouped (2 groups)", input: [2, 2, 7, 7], channels: 4,
                 Convolution(outputChannels: 4, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1), groups: 2)),

        // MARK: InnerProduct, ReLU, Dropout, Concat, Softmax, LRN
        Case(name: "inner product + leaky ReLU + inner product", network: network([3, 1, 1, 10], [
            fc("data", 8, name: "fc1"),
            layer("relu", ReLU(negativeSlope: 0.1), ["fc1"], tops: ["fc1"]),
            fc("fc1", 4, name: "fc2"),
        ])),
        Case(name: "dropout between inner products (training pass)", network: network([3, 1, 1, 10], [
            fc("data", 12, name: "fc1"),
            layer("drop", Dropout(ratio: 0.3), ["fc1"]),
            fc("drop", 4, name: "fc2"),
        ])),
        Case(name: "concat of two branches along channels", network: network([2, 3, 4, 4], [
            conv("a", "data", 2), conv("b", "data", 3, kernel: 3, pad: 1),
            layer("cat", Concat(axis: 1), ["a", "b"]),
            fc("cat"),
        ])),
        Case(name: "concat along the width (axis -1)", network: network([2, 2, 3, 3], [
            conv("a", "data", 2), conv("b", "data", 2, kernel: 3, pad: 1),
            layer("cat", Concat(axis: -1), ["b", "a"]),
            fc("cat"),
        ])),
        Case(name: "softmax along channels in the middle of a network", network: network([2, 3, 4, 4], [
            conv("pre", "data", 4, kernel: 3, pad: 1),
            layer("softmax", Softmax(axis: 1), ["pre"]),
            conv("post", "softmax", 3),
            fc("post"),
        ]), inputScale: 2),
        Case(name: "softmax of an inner product in the middle", network: network([2, 1, 1, 6], [
            fc("data", 5, name: "fc1"),
            layer("softmax", Softmax(axis: 1), ["fc1"]),
            fc("softmax", 4, name: "fc2"),
        ]), inputScale: 2),
        sandwich("LRN across channels", input: [2, 3, 3, 3], channels: 5, LRN(localSize: 3, alpha: 0.5, beta: 0.75, k: 2)),
        sandwich("LRN within a channel", input: [2, 2, 4, 4], channels: 3,
                 LRN(localSize: 3, alpha: 0.5, beta: 0.75, region: .withinChannel)),

        // MARK: Pooling
        pooling("max pooling 3x3 stride 2, asymmetric pads (top 1 left 0, bottom 0 right 1), ceil",
                Pooling(method: .max, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 1, width: 0),
                        paddingEnd: Spatial(height: 0, width: 1), rounding: .ceil)),
        pooling("max pooling 3x3 stride 2, pads 1, floor", input: [2, 2, 8, 8],
                Pooling(method: .max, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1), rounding: .floor)),
        pooling("average pooling count_include_pad false, asymmetric pads (top 0 left 1, bottom 2 right 0), ceil",
                Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(height: 0, width: 1),
                        paddingEnd: Spatial(height: 2, width: 0), rounding: .ceil, countsPadding: false)),
        pooling("average pooling count_include_pad false, pads 1, floor", input: [2, 2, 6, 6],
                Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1), rounding: .floor,
                        countsPadding: false)),
        pooling("average pooling count_include_pad true, asymmetric pads (top 1 left 1, bottom 0 right 2), ceil",
                Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1),
                        paddingEnd: Spatial(height: 0, width: 2), rounding: .ceil)),
        pooling("average pooling 2x3 stride 2x1, floor", input: [2, 2, 5, 5],
                Pooling(method: .average, kernel: Spatial(height: 2, width: 3), stride: Spatial(height: 2, width: 1),
                        rounding: .floor)),
        pooling("global max pooling", input: [2, 2, 4, 4], Pooling(method: .max, isGlobal: true)),
        pooling("global average pooling", input: [2, 2, 4, 4], Pooling(method: .average, isGlobal: true)),

        // MARK: Eltwise
        twoBranches("eltwise sum of two branches", Eltwise(.sum)),
        twoBranches("eltwise difference of two branches", Eltwise(.difference)),
        twoBranches("eltwise product of two branches", Eltwise(.product)),
        twoBranches("eltwise max of two branches", Eltwise(.max)),
        twoBranches("eltwise min of two branches", Eltwise(.min)),
        Case(name: "eltwise quotient of two branches (divisor 1 + sigmoid)", network: network([2, 3, 4, 4], [
            conv("a", "data", 3),
            conv("b", "data", 3, kernel: 3, pad: 1),
            layer("sb", Sigmoid(), ["b"]),
            layer("divisor", Eltwise(.sum, constant: [1], constantShape: [1]), ["sb"]),
            layer("op", Eltwise(.quotient), ["a", "divisor"]),
            fc("op"),
        ])),
        Case(name: "eltwise sum and product of three operands", network: network([2, 3, 4, 4], [
            conv("a", "data", 3), conv("b", "data", 3, kernel: 3, pad: 1), conv("c", "data", 3),
            layer("sum", Eltwise(.sum), ["a", "b", "c"]),
            layer("product", Eltwise(.product), ["a", "b", "c"]),
            layer("cat", Concat(), ["sum", "product"]),
            fc("cat"),
        ])),
        Case(name: "eltwise with one blob twice: a * a, a + a + b, max(a, a)", network: network([2, 3, 4, 4], [
            conv("a", "data", 3), conv("b", "data", 3, kernel: 3, pad: 1),
            layer("square", Eltwise(.product), ["a", "a"]),
            layer("twice", Eltwise(.sum), ["a", "a", "b"]),
            layer("same", Eltwise(.max), ["b", "b"]),
            layer("cat", Concat(), ["square", "twice", "same"]),
            fc("cat"),
        ])),
        gated("squeeze-and-excitation: x * sigmoid(fc(gap(x))) broadcast over [N, C, 1, 1]", .product),
        gated("broadcast sum, the [N, C, 1, 1] operand first", .sum, gateFirst: true),
        gated("broadcast difference, the [N, C, 1, 1] operand first", .difference, gateFirst: true),
        gated("broadcast quotient x / gate", .quotient),
        gated("broadcast max with the gate", .max),
        constant("eltwise sum with a [1, C, 1, 1] constant", Eltwise(.sum, constant: [0.5, -1, 2], constantShape: [1, 3, 1, 1])),
        constant("eltwise difference constant - x, constant [C, 1, 1] first",
                 Eltwise(.difference, constant: [0.5, -1, 2], constantShape: [3, 1, 1], constantPosition: 0)),
        constant("eltwise product with a per-column constant [W]",
                 Eltwise(.product, constant: [1.5, -0.5, 2, 0.25], constantShape: [4])),
        constant("eltwise quotient x / constant [1, C, 1, 1]",
                 Eltwise(.quotient, constant: [2, -0.5, 4], constantShape: [1, 3, 1, 1])),
        constant("eltwise max with a scalar constant", Eltwise(.max, constant: [0.1], constantShape: [1])),
        constant("eltwise min with a [C, H, 1] constant",
                 Eltwise(.min, constant: (0..<12).map { Float($0 % 5) * 0.3 - 0.6 }, constantShape: [3, 4, 1])),

        // MARK: Element-wise activations
        sandwich("ReLU6 (Clip 0...6), values across both bounds", input: [2, 3, 4, 4], channels: 4, Clip(minimum: 0, maximum: 6),
                 inputScale: 4),
        sandwich("Clip -0.5...0.5", input: [2, 3, 4, 4], channels: 4, Clip(minimum: -0.5, maximum: 0.5)),
        sandwich("Clip with only a lower bound", input: [2, 3, 4, 4], channels: 4, Clip(minimum: -0.3, maximum: .infinity)),
        sandwich("sigmoid", input: [2, 3, 4, 4], channels: 4, Sigmoid(), inputScale: 2),
        sandwich("hard sigmoid (ONNX defaults), values across both saturations", input: [2, 3, 4, 4], channels: 4,
                 HardSigmoid(), inputScale: 3),
        sandwich("hard sigmoid alpha 1/6 beta 0.5", input: [2, 3, 4, 4], channels: 4, HardSigmoid(alpha: 1.0 / 6, beta: 0.5),
                 inputScale: 4),
        sandwich("hard swish, values across -3 and 3", input: [2, 3, 4, 4], channels: 4, HardSwish(), inputScale: 3),

        // MARK: BatchNormalization
        sandwich("batch normalisation (per-channel affine, its weights and biases checked)", input: [2, 3, 4, 4], channels: 4,
                 BatchNormalization()),
        Case(name: "batch normalisation of an inner product's [N, C]", network: network([2, 1, 1, 6], [
            fc("data", 5, name: "fc1"),
            layer("bn", BatchNormalization(), ["fc1"]),
            fc("bn", 4, name: "fc2"),
        ])),

        // MARK: Reshape, Transpose, Split, Slice
        Case(name: "reshape: flatten [N, C, H, W] to [N, -1] before an inner product", network: network([2, 2, 3, 3], [
            conv("pre", "data", 4, kernel: 3, pad: 1),
            layer("flat", Reshape(shape: [0, -1]), ["pre"]),
            fc("flat"),
        ])),
        Case(name: "channel shuffle: reshape to 5-D, transpose [0, 2, 1, 3, 4], reshape back, 3x3 conv",
             network: network([2, 2, 3, 3], [
                conv("pre", "data", 6),
                layer("split5", Reshape(shape: [0, 2, 3, 3, 3]), ["pre"]),
                layer("shuffle", Transpose(permutation: [0, 2, 1, 3, 4]), ["split5"]),
                layer("back", Reshape(shape: [0, 6, 3, -1]), ["shuffle"]),
                // Grouped, so a wrong channel order changes which channels mix.
                conv("post", "back", 4, kernel: 3, pad: 1, groups: 2),
                fc("post"),
             ])),
        Case(name: "transpose [0, 2, 3, 1] (NCHW to NHWC) then a 2x1 convolution over [N, H, W, C]",
             network: network([2, 2, 3, 4], [
                conv("pre", "data", 3),
                layer("nhwc", Transpose(permutation: [0, 2, 3, 1]), ["pre"]),
                layer("post", Convolution(outputChannels: 2, kernel: Spatial(height: 2, width: 1)), ["nhwc"]),
                fc("post"),
             ])),
        Case(name: "split into two parts that both feed a concat in the other order", network: network([2, 2, 4, 4], [
            conv("pre", "data", 5, kernel: 3, pad: 1),
            layer("split", Split(axis: 1, sizes: [2, 3]), ["pre"], tops: ["first", "second"]),
            layer("cat", Concat(axis: 1), ["second", "first"]),
            fc("cat"),
        ])),
        Case(name: "split along the height into three, each to its own layer", network: network([2, 2, 5, 4], [
            conv("pre", "data", 3),
            layer("split", Split(axis: 2, sizes: [1, 3, 1]), ["pre"], tops: ["top", "middle", "bottom"]),
            layer("relu", ReLU(), ["middle"]),
            layer("sum", Eltwise(.sum), ["top", "bottom"]),
            layer("flatMiddle", Reshape(shape: [0, -1]), ["relu"]),
            layer("flatSum", Reshape(shape: [0, -1]), ["sum"]),
            layer("cat", Concat(axis: 1), ["flatSum", "flatMiddle"]),
            fc("cat"),
        ])),
        Case(name: "slice: negative starts, steps 1 and 2 on height and width", network: network([2, 2, 6, 7], [
            conv("pre", "data", 3, kernel: 3, pad: 1),
            layer("slice", Slice(starts: [-5, 1], ends: [100, -1], axes: [2, 3], steps: [1, 2]), ["pre"]),
            fc("slice"),
        ])),
        Case(name: "slice: channels reversed with step -2 from a negative start", network: network([2, 2, 3, 3], [
            conv("pre", "data", 5, kernel: 3, pad: 1),
            layer("slice", Slice(starts: [-1], ends: [-100], axes: [1], steps: [-2]), ["pre"]),
            fc("slice"),
        ])),
        Case(name: "slice: negative axis, step 2 from 0, overlapping reads of one blob", network: network([2, 2, 4, 5], [
            conv("pre", "data", 3),
            layer("even", Slice(starts: [0], ends: [5], axes: [-1], steps: [2]), ["pre"]),
            layer("odd", Slice(starts: [-4], ends: [Int.max], axes: [-1], steps: [2]), ["pre"]),
            layer("cat", Concat(axis: -1), ["odd", "even"]),
            fc("cat"),
        ])),
    ]

    // MARK: The checks

    @Test("every registered operator type has a gradient check")
    func everyOperatorIsCovered() {
        let covered = Set(Self.cases.flatMap { $0.network.layers.map(\.kind.typeName) })
        let registered = Set(OperatorRegistry.names)
        #expect(covered == registered,
                "missing: \(registered.subtracting(covered).sorted()), unknown: \(covered.subtracting(registered).sorted())")
    }

    @Test("every case's network infers shapes and lowers for training", arguments: cases)
    func lowers(_ c: Case) throws {
        let parameters = try TrainableParameters(initializing: c.network, seed: 7)
        _ = try TrainingGraph(parameters: parameters, capacity: c.network.inputs[0].shape.batch)
    }

    @Test(arguments: cases)
    func analyticGradientsMatchFiniteDifferences(_ c: Case) throws {
        let parameters = try TrainableParameters(initializing: c.network, seed: 7)
        let batch = c.network.inputs[0].shape.batch
        let graph = try TrainingGraph(parameters: parameters, capacity: batch)
        var random = SeededGenerator(seed: 3)
        for i in 0..<graph.input.count { graph.input[i] = random.nextGaussian() * c.inputScale }
        // Non-zero biases so that bias gradients and kinks are exercised.
        for slot in parameters.slots { for j in 0..<slot.bias.count { slot.bias[j] = random.nextGaussian() * 0.1 } }
        let labels = (0..<batch).map { $0 % graph.classCount }
        let dropoutSeed: UInt64 = 11

        func lossValue() -> Double {
            graph.forward(count: batch, dropoutSeed: dropoutSeed)
            return graph.applyLoss(.crossEntropy, labels: labels, scale: 1).loss
        }
        let base = lossValue()
        #expect(base.isFinite)
        graph.zeroParameterGradients()
        graph.backward(count: batch)

        let counts = FiniteDifferences.check(parameters, graph, base: base, name: c.name, random: &random, loss: lossValue)
        let checked = counts.checked, nonSmooth = counts.nonSmooth, checkedPerSlot = counts.perSlot
        // The forward pass after the checks gives the same loss: no state leaks between passes.
        #expect(abs(lossValue() - base) <= 1e-9 * max(1, abs(base)))
        #expect(nonSmooth * 10 <= checked, "\(c.name): \(nonSmooth) non-smooth points against \(checked) checked")
        for slot in parameters.slots {
            #expect(checkedPerSlot[slot.name, default: 0] > 0, "\(c.name): no gradient of \(slot.name) was checked")
        }
    }
}
