import Foundation
import SqueezeContainer
import SqueezeEncode
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

@Suite("The Deep-Compression SqueezeNet in a .sqz container")
struct SqueezeNetContainerTests {
    static let imported = Result { () throws -> Model in
        let network = try CaffeDefinition.network(contentsOf: SharedData.squeezeNetPrototxt)
        return try DeepCompressionFile.read(contentsOf: SharedData.squeezeNetWeights, network: network)
    }

    @Test("every codec decodes to bit-identical weights; Huffman fits in 560,000 bytes", arguments: EntropyCodec.allCases)
    func roundTrip(codec: EntropyCodec) throws {
        let model = try Self.imported.get()
        let encoding = try SqueezeContainer.encode(model, options: ContainerOptions(codec: codec))
        let decoded = try SqueezeContainer.decode(encoding.bytes, source: "s.sqz")
        #expect(decoded.network == model.network)
        for layer in model.network.weightedLayers {
            let a = try #require(model.parameters[layer.name]), b = try #require(decoded.parameters[layer.name])
            #expect(a.weights.shape == b.weights.shape)
            #expect(a.weights.denseValues().map(\.bitPattern) == b.weights.denseValues().map(\.bitPattern), "\(layer.name)")
            #expect(a.bias.map(\.bitPattern) == b.bias.map(\.bitPattern))
            #expect(b.weights.isShared)
        }
        if codec == .huffman {
            #expect(encoding.bytes.count <= 560_000, "\(encoding.bytes.count) bytes")
        }
    }
}

