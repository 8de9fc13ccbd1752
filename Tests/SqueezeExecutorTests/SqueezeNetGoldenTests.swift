import Foundation
import SqueezeExecutor
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

/// The dense path against onnxruntime's logits for the same input tensors.
@Suite("SqueezeNet matches an independent runtime")
struct SqueezeNetGoldenTests {
    static let program = Result { () throws -> DenseProgram in
        let network = try CaffeDefinition.network(contentsOf: SharedData.squeezeNetPrototxt)
        let model = try DeepCompressionFile.read(contentsOf: SharedData.squeezeNetWeights, network: network)
        return try DenseProgram(model: model)
    }

    @Test("logits within 1e-3 of the largest magnitude, same top-1", arguments: SharedData.referenceImages)
    func logits(name: String) throws {
        let input = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".input.f32"))
        let golden = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".logits.f32"))
        let output = try Self.program.get().makeExecutor().run(input)
        #expect(output.count == 1000)
        expectAgreement(output, golden)
    }

    @Test("a batch of three gives each image's batch-1 logits")
    func batch() throws {
        let single = try Self.program.get()
        let model = try DeepCompressionFile.read(
            contentsOf: SharedData.squeezeNetWeights, network: CaffeDefinition.network(contentsOf: SharedData.squeezeNetPrototxt))
        let batched = try DenseProgram(model: model, batchSize: 3).makeExecutor()
        var input: [Float] = []
        var expected: [Float] = []
        for name in SharedData.referenceImages {
            let x = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".input.f32"))
            input += x
            expected += try single.makeExecutor().run(x)
        }
        let output = try batched.run(input)
        let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4)
    }
}
