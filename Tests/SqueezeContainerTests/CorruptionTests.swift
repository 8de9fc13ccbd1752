import Foundation
import SqueezeContainer
import SqueezeModel
import Testing

/// A small network stored in every form the container knows.
enum SmallModel {
    static let network = Network(
        name: "small",
        inputs: [NetworkInput(name: "data", shape: [1, 2, 6, 6])],
        layers: [
            Layer(name: "conv_dense", kind: Convolution(outputChannels: 3, kernel: Spatial(3)),
                  bottoms: ["data"], tops: ["a"]),
            Layer(name: "conv_sparse", kind: Convolution(outputChannels: 4, kernel: Spatial(1)),
                  bottoms: ["a"], tops: ["b"]),
            Layer(name: "fc_shared", kind: InnerProduct(outputCount: 5), bottoms: ["b"], tops: ["c"]),
            Layer(name: "fc_pruned_shared", kind: InnerProduct(outputCount: 3, hasBias: false),
                  bottoms: ["c"], tops: ["d"]),
        ])

    static let model: Model = {
        let dense = (0..<54).map { Float($0 % 7) * 0.25 - 0.5 }
        let sparse = WeightTensor(shape: [4, 3, 1, 1], storage: .sparse(positions: [0, 5, 11], values: [0.5, -1.5, 2]))
        let shared = WeightTensor(shape: [5, 64], storage: .shared(codebook: [-1, 0.25, 3], codes: (0..<320).map { UInt16($0 % 3) }, positions: nil))
        let prunedShared = WeightTensor(shape: [3, 5], storage: .shared(codebook: [0.5, -0.5], codes: [0, 1, 1], positions: [1, 7, 14]))
        return Model(network: network, parameters: [
            "conv_dense": LayerParameters(weights: WeightTensor(shape: [3, 2, 3, 3], values: dense), bias: [1, 2, 3]),
            "conv_sparse": LayerParameters(weights: sparse, bias: [0, 0, 0, 1]),
            "fc_shared": LayerParameters(weights: shared, bias: [1, 1, 1, 1, 1]),
            "fc_pruned_shared": LayerParameters(weights: prunedShared, bias: []),
        ])
    }()
}

@Suite("Corrupt and truncated containers are refused")
struct CorruptionTests {
    @Test("all four storage forms round-trip", arguments: EntropyCodec.allCases)
    func roundTrip(codec: EntropyCodec) throws {
        let bytes = try SqueezeContainer.encode(SmallModel.model, options: ContainerOptions(codec: codec, fullyConnectedIndexBits: 2)).bytes
        let decoded = try SqueezeContainer.decode(bytes, source: "small.sqz")
        for (name, p) in SmallModel.model.parameters {
            #expect(decoded.parameters[name]?.weights.denseValues() == p.weights.denseValues(), "\(name)")
            #expect(decoded.parameters[name]?.bias == p.bias)
        }
    }

    @Test("flipping any byte is caught and names a section", arguments: EntropyCodec.allCases)
    func flips(codec: EntropyCodec) throws {
        let bytes = try SqueezeContainer.encode(SmallModel.model, options: ContainerOptions(codec: codec)).bytes
        for i in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupt = bytes
                corrupt[i] ^= mask
                do {
                    _ = try SqueezeContainer.decode(corrupt, source: "small.sqz")
                    Issue.record("byte \(i) ^ \(mask) was accepted")
                } catch {
                    #expect(error.description.hasPrefix("small.sqz: "))
                    #expect(!error.description.contains("\n"))
                }
            }
        }
    }

    @Test("every truncation is refused", arguments: EntropyCodec.allCases)
    func truncations(codec: EntropyCodec) throws {
        let bytes = try SqueezeContainer.encode(SmallModel.model, options: ContainerOptions(codec: codec)).bytes
        for length in 0..<bytes.count {
            #expect(throws: ContainerError.self, "length \(length)") {
                try SqueezeContainer.decode(Array(bytes.prefix(length)), source: "small.sqz")
            }
        }
        #expect(throws: ContainerError.trailingBytes(file: "small.sqz", count: 1)) {
            try SqueezeContainer.decode(bytes + [0], source: "small.sqz")
        }
    }
}
