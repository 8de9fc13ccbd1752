import Foundation
import SqueezeCompress  // Model.engineFactory: the target depends on SqueezeCompress for it
import SqueezeContainer
import SqueezeEncode
import SqueezeModel
import SqueezeReader
import Testing

/// Issue 19's acceptance: every `.sqz` field that docs/FORMAT.md lists, set
/// to 0, 1, 2^31-1, 2^32-1 and 2^63-1 with the checksums recomputed, gives a
/// clean error or a valid model — and a valid model validates, compiles for
/// both engines and runs on zeros, or refuses with a typed error, within a
/// small memory limit. A crash anywhere kills the test process.
///
/// Set `FIELDWALK_TRACE=1` to print each (field, value) to standard error
/// before it is decoded: the last line names the pair that crashed.
@Suite("Every .sqz field set to 0, 1, 2^31-1, 2^32-1, 2^63-1: a clean error or a valid model", .serialized)
struct FieldWalkTests {
    /// The containers walked.
    enum Variant: String, CaseIterable, CustomStringConvertible, Sendable {
        /// `SmallModel` (dense, sparse, shared, sparse + shared layers) with raw streams.
        case raw
        /// The same with Huffman-coded streams.
        case huffman
        /// The same with zstd streams.
        case zstd
        /// Huffman streams, the definition stored uncompressed, and every
        /// varint inside the definition walked too.
        case storedDefinition
        /// Huffman streams, the definition as one zstd frame.
        case zstdDefinition
        /// A network with every layer type and non-default parameters
        /// (`EveryLayerModel`), definition stored uncompressed and walked.
        case everyLayerType
        /// The same without its LRN layer, which the compressed engine does
        /// not implement: so that engine runs every edited model to the end.
        case everyLayerTypeButLRN

        var description: String { rawValue }

        /// Whether the protobuf fields of the definition are walked.
        var walksDefinition: Bool { self == .storedDefinition || self == .everyLayerType || self == .everyLayerTypeButLRN }
    }

    /// The memory limit for decoding and for the engines: a container of a
    /// few hundred bytes never needs more. Both take it as a parameter, so
    /// other tests in the same process never see it.
    static let memoryLimit = MemoryLimit(bytes: 256 << 20)

    /// Counts of what the walk saw.
    struct Tally: CustomStringConvertible {
        var fields = 0
        var pairs = 0
        var containerErrors = 0
        var validModels = 0
        var validateErrors = 0
        var engineErrors = 0
        var runs = 0
        var runsSkipped = 0

        var description: String {
            "\(fields) fields, \(pairs) (field, value) pairs: \(containerErrors) container errors, "
                + "\(validModels) valid models (\(validateErrors) refused by validate(), \(engineErrors) engine "
                + "refusals, \(runs) runs, \(runsSkipped) runs skipped for size)"
        }
    }

    @Test("the field walk", arguments: Variant.allCases)
    func walk(_ variant: Variant) throws {
        let bytes = try Self.container(variant)
        let map = try ContainerMap(bytes, walkDefinition: variant.walksDefinition)
        let source = "walk-\(variant).sqz"
        let trace = ProcessInfo.processInfo.environment["FIELDWALK_TRACE"] != nil
        var tally = Tally()

        // The unedited container is valid: what follows tests the edits.
        let original = try SqueezeContainer.decode(SqueezeContainer.repairingChecksums(bytes), source: source,
                                                   memoryLimit: Self.memoryLimit)
        Self.checkModel(original, label: "\(variant) unedited", tally: &tally, strict: true,
                        compressedMayRefuse: variant == .everyLayerType)
        tally = Tally()

        if variant.walksDefinition {
            #expect(map.fields.contains { $0.name.hasPrefix("NETW definition: input_shape[0].dim[3]") },
                    "the definition's fields were not walked")
        }
        for field in map.fields {
            tally.fields += 1
            for value in field.values {
                tally.pairs += 1
                let edited = map.setting(field, to: value)
                let label = "\(variant): \(field.name) = \(value)"
                if trace { FileHandle.standardError.write(Data("field walk: \(label)\n".utf8)) }
                let model: Model
                do throws(ContainerError) {
                    model = try SqueezeContainer.decode(edited, source: source, memoryLimit: Self.memoryLimit)
                } catch {
                    tally.containerErrors += 1
                    #expect(error.description.hasPrefix("\(source): "), "\(label): \(error.description)")
                    #expect(!error.description.contains("\n"), "\(label): \(error.description)")
                    continue
                }
                tally.validModels += 1
                Self.checkModel(model, label: label, tally: &tally, strict: false, compressedMayRefuse: true)
            }
        }
        print("field walk \(variant): \(tally)")
        #expect(tally.pairs > 0)
    }

    // MARK: After decoding

    /// What a user runs next on a decoded model: `validate()`, then for both
    /// engines compile, make an engine and run it once on zeros. Each step
    /// may refuse with its typed error (a one-line description) but not crash.
    /// With `strict` (the unedited containers), a refusal is a failure,
    /// except the compressed engine's when `compressedMayRefuse` (it does not
    /// implement LRN, which `EveryLayerModel` has).
    static func checkModel(_ model: Model, label: String, tally: inout Tally, strict: Bool, compressedMayRefuse: Bool) {
        do {
            try model.validate()
        } catch {
            tally.validateErrors += 1
            #expect(!strict, "\(label): validate() refused: \(error.description)")
            #expect(!error.description.contains("\n"), "\(label): \(error.description)")
            return
        }
        for engine in EngineKind.allCases {
            do throws(ExecutorError) {
                let factory = try model.engineFactory(engine, memoryLimit: Self.memoryLimit)
                let instance = try factory.makeEngines(1, memoryLimit: Self.memoryLimit)[0]
                // The walk's own buffers stay small whatever the engine accepted.
                guard instance.inputShape.elementCount <= 1 << 24, instance.outputShape.elementCount <= 1 << 24 else {
                    tally.runsSkipped += 1
                    continue
                }
                let output = try instance.run([Float](repeating: 0, count: instance.inputShape.elementCount))
                #expect(output.count == instance.outputShape.elementCount, "\(label), \(engine) engine")
                tally.runs += 1
            } catch {
                tally.engineErrors += 1
                #expect(!strict || (engine == .compressed && compressedMayRefuse), "\(label), \(engine) engine refused: \(error.description)")
                #expect(!error.description.contains("\n"), "\(label), \(engine) engine: \(error.description)")
            }
        }
    }

    // MARK: The containers

    /// The bytes of `variant`.
    static func container(_ variant: Variant) throws -> [UInt8] {
        // Two-bit fully connected indices put filler entries in fc_pruned_shared.
        func small(_ codec: EntropyCodec) throws -> [UInt8] {
            try SqueezeContainer.encode(SmallModel.model, options: ContainerOptions(codec: codec, fullyConnectedIndexBits: 2)).bytes
        }
        switch variant {
        case .raw: return try small(.raw)
        case .huffman: return try small(.huffman)
        case .zstd: return try small(.zstd)
        case .storedDefinition:
            return try replacingDefinition(of: small(.huffman), network: SmallModel.network, compressed: false)
        case .zstdDefinition:
            return try replacingDefinition(of: small(.huffman), network: SmallModel.network, compressed: true)
        case .everyLayerType, .everyLayerTypeButLRN:
            let model = EveryLayerModel.model(lrn: variant == .everyLayerType)
            let bytes = try SqueezeContainer.encode(model, options: ContainerOptions(codec: .huffman, fullyConnectedIndexBits: 2)).bytes
            return try replacingDefinition(of: bytes, network: model.network, compressed: false)
        }
    }

    /// `bytes` with the `NETW` payload rewritten: the definition of `network`
    /// stored as is (compression 0) or as one zstd frame (compression 1).
    static func replacingDefinition(of bytes: [UInt8], network: Network, compressed: Bool) throws -> [UInt8] {
        let definition = [UInt8](try CaffeDefinition.binaryDefinition(for: network))
        let body = compressed ? try Zstd.compress(definition, level: 19) : definition
        var payload: [UInt8] = [compressed ? 1 : 0]
        payload += (0..<4).map { UInt8(truncatingIfNeeded: definition.count >> (8 * $0)) }
        payload += body
        // The NETW section is the first, right after the 20-byte header.
        let start = SqueezeFormat.headerSize
        let oldLength = (0..<4).reduce(0) { $0 | Int(bytes[start + 4 + $1]) << (8 * $1) }
        var out = Array(bytes[..<(start + 4)])
        out += (0..<4).map { UInt8(truncatingIfNeeded: payload.count >> (8 * $0)) }
        out += payload
        out += [0, 0, 0, 0]
        out += bytes[(start + 8 + oldLength + 4)...]
        return SqueezeContainer.repairingChecksums(out)
    }
}

/// A small network with every layer type and non-default parameters, so
/// that the definition holds every field the writer emits: a grouped,
/// dilated, strided, padded convolution with a non-square kernel, a leaky
/// ReLU, floor-rounded padded max pooling, LRN within channels, two branches
/// concatenated, dropout, global average pooling, an inner product without
/// bias, softmax. The weights are dense, sparse, shared and pruned + shared.
enum EveryLayerModel {
    /// The network; without `lrn` the branches read the pooling directly.
    static func network(lrn: Bool) -> Network {
        let network = Network(
            name: "every-layer",
            inputs: [NetworkInput(name: "data", shape: [1, 4, 9, 9])],
            layers: [
                Layer(name: "conv1",
                      kind: Convolution(outputChannels: 4, kernel: Spatial(height: 3, width: 2),
                                                               stride: Spatial(2), padding: Spatial(1),
                                                               dilation: Spatial(2), groups: 2),
                      bottoms: ["data"], tops: ["conv1"]),  // 1x4x4x5
                Layer(name: "relu1", kind: ReLU(negativeSlope: 0.1), bottoms: ["conv1"], tops: ["conv1"]),
                Layer(name: "pool1",
                      kind: Pooling(method: .max, kernel: Spatial(2), stride: Spatial(2),
                                                       padding: Spatial(1), rounding: .floor),
                      bottoms: ["conv1"], tops: ["pool1"]),  // 1x4x3x3
                Layer(name: "norm1", kind: LRN(localSize: 3, alpha: 0.5, beta: 0.7, k: 2, region: .withinChannel),
                      bottoms: ["pool1"], tops: ["norm1"]),
                Layer(name: "conv2a", kind: Convolution(outputChannels: 2, kernel: Spatial(1)),
                      bottoms: ["norm1"], tops: ["conv2a"]),  // 1x2x3x3
                Layer(name: "conv2b",
                      kind: Convolution(outputChannels: 2, kernel: Spatial(3), padding: Spatial(1)),
                      bottoms: ["norm1"], tops: ["conv2b"]),  // 1x2x3x3
                Layer(name: "concat", kind: Concat(axis: 1), bottoms: ["conv2a", "conv2b"], tops: ["concat"]),  // 1x4x3x3
                Layer(name: "drop", kind: Dropout(ratio: 0.3), bottoms: ["concat"], tops: ["concat"]),
                Layer(name: "pool2", kind: Pooling(method: .average, isGlobal: true),
                      bottoms: ["concat"], tops: ["pool2"]),  // 1x4x1x1
                Layer(name: "ip1", kind: InnerProduct(outputCount: 6, hasBias: false),
                      bottoms: ["pool2"], tops: ["ip1"]),
                Layer(name: "prob", kind: Softmax(axis: 1), bottoms: ["ip1"], tops: ["prob"]),
            ])
        guard !lrn else { return network }
        var layers = network.layers.filter { $0.name != "norm1" }
        for i in layers.indices where layers[i].bottoms == ["norm1"] { layers[i].bottoms = ["pool1"] }
        return Network(name: network.name, inputs: network.inputs, layers: layers)
    }

    /// The model, with or without the LRN layer.
    static func model(lrn: Bool) -> Model {
        let dense = (0..<48).map { Float($0 % 5) * 0.125 - 0.25 }
        let sparse = WeightTensor(shape: [2, 4, 1, 1], storage: .sparse(positions: [1, 6], values: [0.75, -0.5]))
        let shared = WeightTensor(shape: [2, 4, 3, 3],
                                  storage: .shared(codebook: [-0.5, 0.5], codes: (0..<72).map { UInt16($0 % 2) }, positions: nil))
        let prunedShared = WeightTensor(shape: [6, 4],
                                        storage: .shared(codebook: [0.25, -0.25], codes: [0, 1, 0], positions: [0, 5, 23]))
        return Model(network: network(lrn: lrn), parameters: [
            "conv1": LayerParameters(weights: WeightTensor(shape: [4, 2, 3, 2], values: dense), bias: [0.1, 0.2, 0.3, 0.4]),
            "conv2a": LayerParameters(weights: sparse, bias: [0, 1]),
            "conv2b": LayerParameters(weights: shared, bias: [1, 0]),
            "ip1": LayerParameters(weights: prunedShared, bias: []),
        ])
    }
}
