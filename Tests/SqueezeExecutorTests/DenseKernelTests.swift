import SqueezeExecutor
import SqueezeModel
import Testing

/// One convolution configuration: input shape and parameters.
struct ConvolutionCase: CustomTestStringConvertible, Sendable {
    var input: TensorShape
    var parameters: Convolution
    var testDescription: String {
        let p = parameters
        return "\(input) k\(p.kernel) s\(p.stride) p\(p.padding) d\(p.dilation) g\(p.groups) -> \(p.outputChannels)"
    }
}

/// Builds a one-layer model around `kind` with random weights.
func singleLayerModel(_ kind: any Operator, input: TensorShape, seed: UInt64) throws -> (Model, [Float], [Float]) {
    let network = Network(name: "single", inputs: [NetworkInput(name: "data", shape: input)],
                          layers: [Layer(name: "layer", kind: kind, bottoms: ["data"], tops: ["out"])])
    let shapes = try network.inferShapes()
    var parameters: [String: LayerParameters] = [:]
    var w: [Float] = [], b: [Float] = []
    if let weightShape = shapes.layers[0].weight {
        w = .random(count: weightShape.elementCount, seed: seed)
        b = .random(count: shapes.layers[0].biasCount, seed: seed + 1)
        parameters["layer"] = LayerParameters(weights: WeightTensor(shape: weightShape, values: w), bias: b)
    }
    return (Model(network: network, parameters: parameters), w, b)
}

@Suite("Dense kernels against textbook loops")
struct DenseKernelTests {
    static let convolutions: [ConvolutionCase] = [
        .init(input: [1, 3, 9, 9], parameters: .init(outputChannels: 4, kernel: Spatial(3))),
        .init(input: [2, 3, 11, 10], parameters: .init(outputChannels: 5, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1))),
        .init(input: [1, 4, 8, 8], parameters: .init(outputChannels: 6, kernel: Spatial(1))),
        .init(input: [1, 8, 6, 6], parameters: .init(outputChannels: 10, kernel: Spatial(1), padding: Spatial(1))),
        .init(input: [1, 3, 23, 23], parameters: .init(outputChannels: 8, kernel: Spatial(7), stride: Spatial(2))),
        .init(input: [2, 4, 9, 9], parameters: .init(outputChannels: 6, kernel: Spatial(3), padding: Spatial(1), groups: 2)),
        .init(input: [1, 2, 12, 12], parameters: .init(outputChannels: 3, kernel: Spatial(3), padding: Spatial(2), dilation: Spatial(2))),
        .init(input: [1, 2, 7, 9], parameters: .init(outputChannels: 3, kernel: Spatial(height: 2, width: 3),
                                                    stride: Spatial(height: 1, width: 2), padding: Spatial(height: 0, width: 1),
                                                    hasBias: false)),
    ]

    @Test("convolution matches direct loops", arguments: convolutions)
    func convolution(_ c: ConvolutionCase) throws {
        let (model, w, b) = try singleLayerModel(c.parameters, input: c.input, seed: 7)
        let x = [Float].random(count: c.input.elementCount, seed: 11)
        let engine = try DenseProgram(model: model, batchSize: c.input.batch).makeExecutor()
        let y = try engine.run(x)
        let expected = Naive.convolution(x, shape: c.input, c.parameters, weights: w, bias: b)
        #expect(y.count == expected.count)
        #expect(maxAbsDifference(y, expected) < 1e-4)
    }

    @Test("inner product matches direct loops", arguments: [1, 3])
    func innerProduct(batch: Int) throws {
        let input: TensorShape = [batch, 4, 3, 3]
        let (model, w, b) = try singleLayerModel(InnerProduct(outputCount: 7), input: input, seed: 3)
        let x = [Float].random(count: input.elementCount, seed: 5)
        let y = try DenseProgram(model: model, batchSize: batch).makeExecutor().run(x)
        #expect(maxAbsDifference(y, Naive.innerProduct(x, batch: batch, outputs: 7, weights: w, bias: b)) < 1e-5)
    }

    @Test("max pooling rounds up like Caffe and never picks padding")
    func maxPoolingCeil() throws {
        // 6x6 input, 3x3 window, stride 2: Caffe gives ceil(3/2)+1 = 3 (floor would give 2).
        let kind = Pooling(method: .max, kernel: Spatial(3), stride: Spatial(2))
        let (model, _, _) = try singleLayerModel(kind, input: [1, 1, 6, 6], seed: 1)
        let x = (0..<36).map { -Float($0) }  // decreasing: the window's first element wins
        let y = try DenseProgram(model: model).makeExecutor().run(x)
        #expect(y == [0, -2, -4, -12, -14, -16, -24, -26, -28])
    }

    @Test("average pooling counts padding but not what lies beyond it")
    func averagePoolingDivisor() throws {
        let kind = Pooling(method: .average, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1))
        let (model, _, _) = try singleLayerModel(kind, input: [1, 1, 4, 4], seed: 1)
        let y = try DenseProgram(model: model).makeExecutor().run([Float](repeating: 1, count: 16))
        // Output 3x3 in ceil mode -> clipped to 2x2+... : (4+2-3)/2 ceil = 2, +1 = 3; last window starts at 3 < 4+1, kept.
        // Top-left window covers rows -1...1 and cols -1...1: 4 real ones of 9 counted.
        #expect(y.count == 9)
        #expect(abs(y[0] - 4.0 / 9.0) < 1e-6)
        // Bottom-right window covers rows 3...5 clipped to the padded input (rows 3...4): 1 real of 4.
        #expect(abs(y[8] - 1.0 / 4.0) < 1e-6)
    }

    @Test("global average pooling gives per-channel means")
    func globalAveragePooling() throws {
        let (model, _, _) = try singleLayerModel(Pooling(method: .average, isGlobal: true), input: [2, 3, 5, 5], seed: 1)
        let x = [Float].random(count: 150, seed: 9)
        let y = try DenseProgram(model: model, batchSize: 2).makeExecutor().run(x)
        for plane in 0..<6 {
            let mean = x[(plane * 25)..<(plane * 25 + 25)].reduce(0, +) / 25
            #expect(abs(y[plane] - mean) < 1e-5)
        }
    }

    @Test("LRN across channels matches the formula")
    func lrnAcross() throws {
        let p = LRN(localSize: 5, alpha: 0.0001, beta: 0.75, k: 1)
        let shape: TensorShape = [2, 7, 3, 4]
        let (model, _, _) = try singleLayerModel(p, input: shape, seed: 1)
        let x = [Float].random(count: shape.elementCount, seed: 2, in: -20...20)
        let y = try DenseProgram(model: model, batchSize: 2).makeExecutor().run(x)
        #expect(maxAbsDifference(y, Naive.lrnAcross(x, shape: shape, p)) < 1e-4)
    }

    @Test("softmax gives a distribution over channels")
    func softmax() throws {
        let (model, _, _) = try singleLayerModel(Softmax(axis: 1), input: [3, 10], seed: 1)
        let x = [Float].random(count: 30, seed: 4, in: -50...50)
        let y = try DenseProgram(model: model, batchSize: 3).makeExecutor().run(x)
        for b in 0..<3 {
            let row = Array(y[(b * 10)..<(b * 10 + 10)])
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            let inputRow = Array(x[(b * 10)..<(b * 10 + 10)])
            #expect(row.firstIndex(of: row.max()!) == inputRow.firstIndex(of: inputRow.max()!))
        }
    }

    @Test("ReLU, dropout and concat compose in place")
    func reluDropoutConcat() throws {
        let network = Network(name: "n", inputs: [NetworkInput(name: "data", shape: [2, 2, 2, 2])], layers: [
            Layer(name: "relu", kind: ReLU(negativeSlope: 0), bottoms: ["data"], tops: ["data"]),
            Layer(name: "leaky", kind: ReLU(negativeSlope: 0.5), bottoms: ["data"], tops: ["b"]),
            Layer(name: "drop", kind: Dropout(ratio: 0.5), bottoms: ["b"], tops: ["b"]),
            Layer(name: "cat", kind: Concat(axis: 1), bottoms: ["data", "b"], tops: ["cat"]),
        ])
        let model = Model(network: network, parameters: [:])
        let x: [Float] = (0..<16).map { Float($0) - 8 }
        let y = try DenseProgram(model: model, batchSize: 2).makeExecutor().run(x)
        let relu = x.map { max($0, 0) }
        var expected: [Float] = []
        for b in 0..<2 {
            expected += relu[(b * 8)..<(b * 8 + 8)]
            expected += relu[(b * 8)..<(b * 8 + 8)]  // leaky ReLU of a ReLU output changes nothing
        }
        #expect(y == expected)
    }

    @Test("a wrong input size is refused")
    func inputSize() throws {
        let (model, _, _) = try singleLayerModel(ReLU(negativeSlope: 0), input: [1, 1, 2, 2], seed: 1)
        let engine = try DenseProgram(model: model).makeExecutor()
        #expect(throws: ExecutorError.inputSize(expected: 4, actual: 3)) { try engine.run([1, 2, 3]) }
    }
}
