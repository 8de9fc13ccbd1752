import Foundation
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

@Suite("The Deep-Compression .net file")
struct DeepCompressionFileTests {
    static let network = Result { try CaffeDefinition.network(contentsOf: SharedData.squeezeNetPrototxt) }
    static let bytes = Result { try Data(contentsOf: SharedData.squeezeNetWeights) }

    @Test("decodes 1,244,448 weights of which 415,921 are non-zero, all 8-bit shared")
    func decode() throws {
        let model = try DeepCompressionFile.read(contentsOf: SharedData.squeezeNetWeights, network: Self.network.get())
        try model.validate()
        #expect(model.weightCount == 1_244_448)
        #expect(model.nonZeroWeightCount == 415_921)
        for (name, p) in model.parameters {
            guard case .shared(let codebook, let codes, let positions?) = p.weights.storage else {
                Issue.record("\(name) is not pruned and shared")
                continue
            }
            #expect(codebook.count == 256)
            // Filler entries are dropped: every stored code is a non-zero weight.
            #expect(codes.allSatisfy { codebook[Int($0)] != 0 })
            #expect(positions.count == codes.count)
        }
        #expect(model.parameters["conv1"]?.weights.shape == [96, 3, 7, 7])
        #expect(model.parameters["conv1"]?.bias.count == 96)
    }

    @Test("a truncated file names the layer where it ends", arguments: [0, 3, 104, 105, 5_000, 300_000, 675_762])
    func truncated(length: Int) throws {
        let data = try Self.bytes.get().prefix(length)
        let network = try Self.network.get()
        do {
            _ = try DeepCompressionFile.decode(Data(data), network: network, source: "w.net")
            Issue.record("accepted \(length) bytes")
        } catch {
            guard case .truncated(let file, let layer, let needed, let available) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == "w.net")
            #expect(!layer.isEmpty)
            #expect(needed > available)
            #expect(error.description.hasPrefix("w.net: truncated in layer"))
        }
    }

    @Test("a longer file is refused")
    func trailing() throws {
        var data = try Self.bytes.get()
        data.append(contentsOf: [1, 2, 3])
        #expect(throws: ReaderError.trailingBytes(file: "w.net", count: 3)) {
            try DeepCompressionFile.decode(data, network: Self.network.get(), source: "w.net")
        }
    }

    @Test("an entry count beyond the layer's size is refused, not trusted")
    func absurdCount() throws {
        var data = try Self.bytes.get()
        data.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: ReaderError.self) {
            try DeepCompressionFile.decode(data, network: Self.network.get(), source: "w.net")
        }
    }
}
