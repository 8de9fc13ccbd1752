import Foundation
import SqueezeCompress
import Testing
import TestSupport

/// The ONNX models of ../shared, imported and run by both engines against
/// onnxruntime's logits on the three reference inputs.
@Suite("ONNX import of the shared models",
       .enabled(if: FileManager.default.fileExists(atPath: SharedData.url("models/squeezenet-v1.1").path), "../shared is not there"))
struct ONNXImportTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let file: String
        let reference: String
        let crop: Int
        var testDescription: String { model }
    }

    static let cases = [
        Case(model: "squeezenet-v1.1", file: "models/squeezenet-v1.1/squeezenet-v1.1.onnx",
             reference: "models/squeezenet-v1.1/reference", crop: 227),
        Case(model: "mobilenet-v1-0.5-160", file: "models/mobilenet-v1-0.5-160/mobilenet-v1-0.5-160.onnx",
             reference: "models/mobilenet-v1-0.5-160/reference", crop: 160),
        Case(model: "mobilenet-v2-1.0-224", file: "models/mobilenet-v2-1.0-224/mobilenet-v2-1.0-224.onnx",
             reference: "models/mobilenet-v2-1.0-224/reference", crop: 224),
        Case(model: "squeezenet_dc (Deep-Compression weights, dense)", file: "models/squeezenet-deep-compression/squeezenet_dc.onnx",
             reference: "reference", crop: 227),
    ]

    @Test("logits within 1e-3 of the largest magnitude of onnxruntime's, both engines, 1 and 2 threads", arguments: cases)
    func referenceLogits(_ c: Case) throws {
        let loaded = try ModelLoader.load(weights: SharedData.url(c.file))
        let dense = try loaded.model.engineFactory(.dense).makeEngine()
        let compressed1 = try CompressedNetwork(model: loaded.model).program(threads: 1).makeEngine()
        let compressed2 = try CompressedNetwork(model: loaded.model).program(threads: 2).makeEngine()
        for image in SharedData.referenceImages {
            let input = try SharedData.readFloats(SharedData.url("\(c.reference)/\(image).input.f32"))
            let expected = try SharedData.readFloats(SharedData.url("\(c.reference)/\(image).logits.f32"))
            let bound = 1e-3 * (expected.map(abs).max() ?? 1)
            for (name, engine) in [("dense", dense), ("compressed, 1 thread", compressed1), ("compressed, 2 threads", compressed2)] {
                let logits = try engine.run(input)
                #expect(logits.count == expected.count)
                let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst <= bound, "\(c.model) \(image) \(name): off by \(worst), bound \(bound)")
            }
        }
    }

    @Test("the preprocessing comes from the model's metadata_props and survives a container round trip", arguments: cases.prefix(3))
    func preprocessingMetadata(_ c: Case) throws {
        let loaded = try ModelLoader.load(weights: SharedData.url(c.file))
        let p = try #require(loaded.metadata.preprocessing)
        #expect(p.cropWidth == c.crop)
        #expect(loaded.metadata.string(MetadataKeys.sourceFormat) == "onnx")
        #expect(loaded.metadata.string(MetadataKeys.sourceHash)?.count == 64)
        let encoded = try SqueezeContainer.encode(loaded.model, metadata: loaded.metadata)
        let decoded = try SqueezeContainer.decodeContents(encoded.bytes, source: "round trip")
        #expect(decoded.metadata == loaded.metadata)
        #expect(decoded.metadata.preprocessing == p)
        #expect(decoded.model.network == loaded.model.network)
        #expect(decoded.version.minor == 1)
    }
}
