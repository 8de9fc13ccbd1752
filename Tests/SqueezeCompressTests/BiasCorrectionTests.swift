import Foundation
import SqueezeCompress
import SqueezeData
import SqueezeExecutor
import SqueezeModel
import SqueezeQuantize
import SqueezeReader
import SqueezeTrain
import Testing
import TestSupport

@Suite("Bias correction")
struct BiasCorrectionTests {
    /// A small convolutional network on the digits; ReLU writes a blob of its
    /// own, so each convolution's output blob stays as the layer made it.
    static let prototxt = """
        name: "small"
        input: "data"
        input_dim: 1
        input_dim: 1
        input_dim: 28
        input_dim: 28
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 6 kernel_size: 5 stride: 2 pad: 2 } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "r1" }
        layer { name: "conv2" type: "Convolution" bottom: "r1" top: "conv2"
                convolution_param { num_output: 8 kernel_size: 3 pad: 1 group: 2 } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "r2" }
        layer { name: "ip" type: "InnerProduct" bottom: "r2" top: "ip" inner_product_param { num_output: 10 } }
        """

    static func models() throws -> (reference: Model, compressed: Model, data: TrainingData) {
        let network = try CaffeDefinition.network(prototxt: prototxt)
        let reference = try TrainableParameters(initializing: network, seed: 3).model
        // Two bits: a large weight error, so the means really move.
        let (compressed, _) = try Quantizer.quantize(reference, plan: QuantizationPlan(convolutionBits: 2, fullyConnectedBits: 2))
        let digits = try MNISTDigits(contentsOf: SharedData.mnistDigits)
        let data = TrainingData(samples: SampleSubset(digits, indices: Array(0..<96)), summary: "96 digits")
        return (reference, compressed, data)
    }

    /// Per channel, the mean of blob `name` over the data's samples.
    static func channelMeans(_ model: Model, blob name: String, data: TrainingData) throws -> [Double] {
        let executor = try DenseProgram(model: model, batchSize: data.samples.count).makeExecutor()
        var input: [Float] = []
        for i in 0..<data.samples.count { input += try data.samples.load(i) }
        _ = try executor.run(input)
        let values = try #require(executor.blob(named: name))
        let shape = try model.network.inferShapes().blobs[name]!
        let plane = shape.height * shape.width, channels = shape.channels
        return (0..<channels).map { c in
            var sum = 0.0
            for n in 0..<data.samples.count {
                for i in 0..<plane { sum += Double(values[(n * channels + c) * plane + i]) }
            }
            return sum / Double(data.samples.count * plane)
        }
    }

    @Test("the first layer's output means come back to the reference's; weights are untouched")
    func firstLayerMeans() throws {
        let (reference, compressed, data) = try Self.models()
        let outcome = try BiasCorrection.run(compressed, reference: reference, data: data, images: 96, batchSize: 32, threads: 1)
        #expect(outcome.layers.map(\.name) == ["conv1", "conv2", "ip"])
        #expect(outcome.images == 96)
        let target = try Self.channelMeans(reference, blob: "conv1", data: data)
        let before = try Self.channelMeans(compressed, blob: "conv1", data: data)
        let after = try Self.channelMeans(outcome.model, blob: "conv1", data: data)
        let scale = target.map(abs).max()! + 1e-3
        #expect(zip(before, target).contains { abs($0 - $1) > 1e-2 * scale }, "2-bit weights should move the means")
        for (a, t) in zip(after, target) { #expect(abs(a - t) <= 1e-4 * scale, "corrected \(a) vs reference \(t)") }
        for name in ["conv1", "conv2", "ip"] {
            #expect(outcome.model.parameters[name]!.weights == compressed.parameters[name]!.weights)
        }
    }

    @Test("a grouped layer's shift counts only its group's inputs, and the last layer moves toward the teacher")
    func laterLayers() throws {
        let (reference, compressed, data) = try Self.models()
        let corrected = try BiasCorrection.run(compressed, reference: reference, data: data, images: 96, batchSize: 32, threads: 2)
        // conv2's correction is its own error on the corrected conv1 path:
        // with conv1 corrected the same way, its output means match what
        // conv2's reference weights give on those same inputs.
        var mixed = corrected.model
        mixed.parameters["conv2"] = reference.parameters["conv2"]
        let target = try Self.channelMeans(mixed, blob: "conv2", data: data)
        let after = try Self.channelMeans(corrected.model, blob: "conv2", data: data)
        let scale = target.map(abs).max()! + 1e-3
        for (a, t) in zip(after, target) { #expect(abs(a - t) <= 1e-4 * scale, "conv2 corrected \(a) vs \(t)") }
    }

    @Test("a model of another network is refused")
    func differentNetworks() throws {
        let (reference, compressed, data) = try Self.models()
        var other = reference
        other.network.name = "other"
        #expect(throws: BiasCorrectionError.differentNetworks) {
            try BiasCorrection.run(compressed, reference: other, data: data, threads: 1)
        }
    }
}
