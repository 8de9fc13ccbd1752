import SqueezeData
import SqueezeModel
import SqueezeReader
import SqueezeTrain
import Testing

/// Analytic gradients against central finite differences, one small network per
/// layer type (and a fire module that combines them). The weights of every layer
/// are checked, so a wrong input gradient anywhere downstream shows up upstream.
struct GradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let input: [Int]
        let layers: String
        var testDescription: String { name }
    }

    static func layer(_ name: String, _ type: String, _ bottom: String, _ top: String, _ params: String = "") -> String {
        "layer { name: \"\(name)\" type: \"\(type)\" bottom: \"\(bottom)\" top: \"\(top)\" \(params) }\n"
    }

    static let cases: [Case] = [
        Case(name: "convolution stride 2 pad 1", input: [2, 3, 7, 7], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 4 kernel_size: 3 stride: 2 pad: 1 }")
            + layer("fc", "InnerProduct", "conv", "fc", "inner_product_param { num_output: 5 }")),
        Case(name: "grouped convolution + ReLU", input: [2, 4, 6, 6], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 6 kernel_size: 3 pad: 1 group: 2 }")
            + layer("relu", "ReLU", "conv", "conv")
            + layer("fc", "InnerProduct", "conv", "fc", "inner_product_param { num_output: 5 }")),
        Case(name: "grouped convolution", input: [2, 4, 6, 6], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 6 kernel_size: 3 pad: 1 group: 2 }")
            + layer("fc", "InnerProduct", "conv", "fc", "inner_product_param { num_output: 5 }")),
        Case(name: "convolution + ReLU", input: [2, 4, 6, 6], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 6 kernel_size: 3 pad: 1 }")
            + layer("relu", "ReLU", "conv", "conv")
            + layer("fc", "InnerProduct", "conv", "fc", "inner_product_param { num_output: 5 }")),
        Case(name: "1x1 convolution", input: [2, 5, 4, 4], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 3 kernel_size: 1 }")
            + layer("fc", "InnerProduct", "conv", "fc", "inner_product_param { num_output: 4 }")),
        Case(name: "inner product + ReLU", input: [3, 1, 1, 12], layers:
            layer("fc1", "InnerProduct", "data", "fc1", "inner_product_param { num_output: 8 }")
            + layer("relu", "ReLU", "fc1", "fc1")
            + layer("fc2", "InnerProduct", "fc1", "fc2", "inner_product_param { num_output: 5 }")),
        Case(name: "max pooling, ceil mode", input: [2, 2, 7, 7], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 3 kernel_size: 1 }")
            + layer("pool", "Pooling", "conv", "pool", "pooling_param { pool: MAX kernel_size: 3 stride: 2 }")
            + layer("fc", "InnerProduct", "pool", "fc", "inner_product_param { num_output: 4 }")),
        Case(name: "average pooling with padding", input: [2, 2, 6, 6], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 3 kernel_size: 1 }")
            + layer("pool", "Pooling", "conv", "pool", "pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }")
            + layer("fc", "InnerProduct", "pool", "fc", "inner_product_param { num_output: 4 }")),
        Case(name: "global average pooling", input: [2, 3, 5, 5], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 6 kernel_size: 3 pad: 1 }")
            + layer("pool", "Pooling", "conv", "pool", "pooling_param { pool: AVE global_pooling: true }")),
        Case(name: "concat of two branches", input: [2, 3, 5, 5], layers:
            layer("a", "Convolution", "data", "a", "convolution_param { num_output: 2 kernel_size: 1 }")
            + layer("b", "Convolution", "data", "b", "convolution_param { num_output: 3 kernel_size: 3 pad: 1 }")
            + layer("cat", "Concat", "a", "cat").replacingOccurrences(of: "bottom: \"a\"", with: "bottom: \"a\" bottom: \"b\"")
            + layer("fc", "InnerProduct", "cat", "fc", "inner_product_param { num_output: 4 }")),
        Case(name: "LRN across channels", input: [2, 4, 3, 3], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 5 kernel_size: 1 }")
            + layer("norm", "LRN", "conv", "norm", "lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 k: 2 }")
            + layer("fc", "InnerProduct", "norm", "fc", "inner_product_param { num_output: 3 }")),
        Case(name: "LRN within a channel", input: [2, 2, 4, 4], layers:
            layer("conv", "Convolution", "data", "conv", "convolution_param { num_output: 3 kernel_size: 1 }")
            + layer("norm", "LRN", "conv", "norm", "lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 norm_region: WITHIN_CHANNEL }")
            + layer("fc", "InnerProduct", "norm", "fc", "inner_product_param { num_output: 3 }")),
        Case(name: "dropout", input: [3, 1, 1, 10], layers:
            layer("fc1", "InnerProduct", "data", "fc1", "inner_product_param { num_output: 12 }")
            + layer("drop", "Dropout", "fc1", "fc1", "dropout_param { dropout_ratio: 0.5 }")
            + layer("fc2", "InnerProduct", "fc1", "fc2", "inner_product_param { num_output: 4 }")),
        Case(name: "fire module with final softmax", input: [2, 4, 9, 9], layers:
            layer("conv1", "Convolution", "data", "conv1", "convolution_param { num_output: 6 kernel_size: 3 stride: 2 }")
            + layer("relu1", "ReLU", "conv1", "conv1")
            + layer("squeeze", "Convolution", "conv1", "squeeze", "convolution_param { num_output: 3 kernel_size: 1 }")
            + layer("relu2", "ReLU", "squeeze", "squeeze")
            + layer("e1", "Convolution", "squeeze", "e1", "convolution_param { num_output: 4 kernel_size: 1 }")
            + layer("e3", "Convolution", "squeeze", "e3", "convolution_param { num_output: 4 kernel_size: 3 pad: 1 }")
            + layer("cat", "Concat", "e1", "cat").replacingOccurrences(of: "bottom: \"e1\"", with: "bottom: \"e1\" bottom: \"e3\"")
            + layer("pool", "Pooling", "cat", "pool", "pooling_param { pool: MAX kernel_size: 3 stride: 2 }")
            + layer("conv10", "Convolution", "pool", "conv10", "convolution_param { num_output: 5 kernel_size: 1 }")
            + layer("gap", "Pooling", "conv10", "gap", "pooling_param { pool: AVE global_pooling: true }")
            + layer("prob", "Softmax", "gap", "prob")),
    ]

    static func prototxt(_ c: Case) -> String {
        "name: \"check\"\ninput: \"data\"\n" + c.input.map { "input_dim: \($0)\n" }.joined() + c.layers
    }

    @Test(arguments: cases, [LossFunction.crossEntropy, .distillation(temperature: 2)])
    func analyticGradientsMatchFiniteDifferences(_ c: Case, loss: LossFunction) throws {
        let network = try CaffeDefinition.network(prototxt: Self.prototxt(c))
        let parameters = try TrainableParameters(initializing: network, seed: 7)
        let batch = c.input[0]
        let graph = try TrainingGraph(parameters: parameters, capacity: batch)
        var random = SeededGenerator(seed: 3)
        for i in 0..<graph.input.count { graph.input[i] = random.nextGaussian() }
        // Non-zero biases so that bias gradients and ReLU kinks are exercised.
        for slot in parameters.slots { for j in 0..<slot.bias.count { slot.bias[j] = random.nextGaussian() * 0.1 } }
        let labels = (0..<batch).map { $0 % graph.classCount }
        let teacher = (0..<(batch * graph.classCount)).map { _ in random.nextGaussian() * 2 }
        let dropoutSeed: UInt64 = 11

        func lossValue() -> Double {
            graph.forward(count: batch, dropoutSeed: dropoutSeed)
            return teacher.withUnsafeBufferPointer {
                graph.applyLoss(loss, labels: labels, teacherLogits: $0.baseAddress, scale: 1).loss
            }
        }
        let base = lossValue()
        graph.zeroParameterGradients()
        graph.backward(count: batch)

        let counts = FiniteDifferences.check(parameters, graph, base: base, name: c.name, random: &random, loss: lossValue)
        let checked = counts.checked, nonSmooth = counts.nonSmooth
        #expect(nonSmooth * 10 <= checked, "\(nonSmooth) non-smooth points against \(checked) checked")
        #expect(checked > 0)
    }

    /// An operator whose kernel has no backward pass.
    struct ForwardOnly: Operator {
        static let typeName = "ForwardOnly"
        init() {}
        init(attributes: Attributes) throws(AttributeError) {}
        var attributes: Attributes { Attributes() }
        func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
            LayerShapes(inputs: inputs, outputs: inputs)
        }
        func makeKernel(_ shapes: LayerShapes) -> any LayerKernel { Kernel() }
        struct Kernel: LayerKernel {
            var hasBackward: Bool { false }
            func forward(_ a: ForwardArguments) {}
        }
    }

    @Test func layersWithoutBackwardPassAreRefused() throws {
        let text = "name: \"n\"\ninput: \"data\"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 5\ninput_dim: 5\n"
            + Self.layer("fc", "InnerProduct", "data", "fc", "inner_product_param { num_output: 2 }")
        var network = try CaffeDefinition.network(prototxt: text)
        network.layers.insert(Layer(name: "odd", kind: ForwardOnly(), bottoms: ["data"], tops: ["odd"]), at: 0)
        network.layers[1].bottoms = ["odd"]
        let parameters = try TrainableParameters(initializing: network, seed: 1)
        #expect(throws: TrainingError.unsupportedLayer(name: "odd", type: "ForwardOnly")) {
            try TrainingGraph(parameters: parameters, capacity: 1)
        }
    }
}
