import Foundation
import PropertyBased
import SqueezeCompress  // Model.engineFactory
import SqueezeContainer
import SqueezeData
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

/// Format 1.1 reads what 1.0 wrote: fixtures/container-1.0/tiny-mnist.sqz,
/// written by release 0.1.0, decodes to the same network and weights and
/// gives the same predictions; unknown sections are skipped or refused by
/// the case of their tag; metadata round-trips.
@Suite("Version 1.0 containers, unknown sections and metadata")
struct Version10Tests {
    static let digitsAvailable = FileManager.default.fileExists(atPath: SharedData.mnistDigits.path)

    @Test("the 1.0 fixture decodes as version 1.0, without metadata, to the network of its prototxt")
    func fixtureDecodes() throws {
        let bytes = try Version10Fixture.bytes()
        #expect(bytes.count == 1163)
        #expect(Array(bytes[20..<24]) == Array("NETW".utf8))
        let contents = try SqueezeContainer.decodeContents(bytes, source: "tiny-mnist.sqz")
        #expect(contents.version == (1, 0))
        #expect(contents.metadata.isEmpty)
        #expect(contents.skippedSections.isEmpty)
        let network = try CaffeDefinition.network(contentsOf: Version10Fixture.prototxt)
        #expect(contents.model.network == network)
        #expect(contents.model.network.weightedLayers.map(\.name) == ["conv1", "ip1"])
        // As the recipe made it: conv1 and ip1 pruned, then 4-bit shared.
        for name in ["conv1", "ip1"] {
            let weights = try #require(contents.model.parameters[name]).weights
            #expect(weights.isPruned && weights.isShared, "\(name)")
        }
    }

    @Test("re-encoded, the fixture is version 1.1 (GRPH) and decodes to an equal network and parameters")
    func fixtureReencodes() throws {
        let original = try SqueezeContainer.decodeContents(Version10Fixture.bytes(), source: "tiny-mnist.sqz")
        let bytes = try SqueezeContainer.encode(original.model).bytes
        #expect(Array(bytes[8..<12]) == [1, 0, 1, 0])
        #expect(ContainerBytes.sections(of: bytes).map(\.tag) == ["GRPH", "LAYR", "LAYR"])
        let decoded = try SqueezeContainer.decodeContents(bytes, source: "tiny-mnist-1.1.sqz")
        #expect(decoded.version == (1, 1))
        #expect(decoded.metadata.isEmpty)
        #expect(decoded.model.network == original.model.network)
        #expect(decoded.model.parameters == original.model.parameters)
        for (name, p) in original.model.parameters {
            let q = try #require(decoded.model.parameters[name])
            #expect(q.weights.denseValues().map(\.bitPattern) == p.weights.denseValues().map(\.bitPattern), "\(name)")
            #expect(q.bias.map(\.bitPattern) == p.bias.map(\.bitPattern), "\(name)")
        }
        // The same model encodes to the same bytes again.
        #expect(try SqueezeContainer.encode(decoded.model).bytes == bytes)
    }

    /// Release 0.1.0 measured `evaluate --weights tiny-mnist.sqz --mnist
    /// mnist_4k_dev.csv.gz` as top-1 0.928 (3,712 of 4,000) with both engines.
    @Test("both engines give the fixture's top-1 of release 0.1.0 on the 4,000 digits: 3712/4000",
          .enabled(if: digitsAvailable, "../shared/data/mnist-5k/mnist_4k_dev.csv.gz is not there"),
          arguments: EngineKind.allCases)
    func fixtureAccuracy(engine: EngineKind) throws {
        let model = try SqueezeContainer.decode(Version10Fixture.bytes(), source: "tiny-mnist.sqz")
        let digits = try MNISTDigits(contentsOf: SharedData.mnistDigits)
        #expect(digits.count == 4000)
        let batch = 100
        let instance = try model.engineFactory(engine, batchSize: batch).makeEngines(1)[0]
        let classes = instance.outputShape.elementCount / batch
        #expect(classes == 10)
        var hits = 0
        var input = [Float](repeating: 0, count: instance.inputShape.elementCount)
        for first in stride(from: 0, to: digits.count, by: batch) {
            let n = min(batch, digits.count - first)
            for i in 0..<n {
                let sample = try digits.load(first + i)
                input.replaceSubrange((i * digits.sampleCount)..<((i + 1) * digits.sampleCount), with: sample)
            }
            let output = try instance.run(input)
            for i in 0..<n {
                let scores = output[(i * classes)..<((i + 1) * classes)]
                let predicted = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }! - i * classes
                if predicted == digits.label(at: first + i) { hits += 1 }
            }
        }
        #expect(hits == 3712, "\(engine) engine: \(hits)/4000 top-1")
    }

    // MARK: Unknown sections

    /// A section this reader does not know, tagged `tag`.
    static func unknownSection(_ tag: String) -> [UInt8] {
        ContainerBytes.section(tag, payload: Array("written by a later version".utf8))
    }

    /// The 1.0 fixture and a 1.1 container with metadata.
    static func containers() throws -> [(name: String, bytes: [UInt8], model: Model)] {
        let fixture = try Version10Fixture.bytes()
        let model = try SqueezeContainer.decode(fixture, source: "tiny-mnist.sqz")
        let current = try SqueezeContainer.encode(SmallModel.model, metadata: WalkMetadata.metadata).bytes
        return [("tiny-mnist.sqz", fixture, model), ("small.sqz", current, SmallModel.model)]
    }

    @Test("an unknown ancillary section after section 1 is skipped and reported")
    func ancillarySkipped() throws {
        for (name, bytes, model) in try Self.containers() {
            let count = ContainerBytes.sections(of: bytes).count
            // After section 1, between the layers and at the end.
            for index in [1, count - 1, count] {
                let edited = ContainerBytes.inserting(Self.unknownSection("zzzz"), at: index, into: bytes)
                let contents = try SqueezeContainer.decodeContents(edited, source: name)
                #expect(contents.skippedSections == ["zzzz"], "\(name), at \(index)")
                #expect(contents.model == model, "\(name), at \(index)")
            }
            // Two of them, both reported in file order.
            let two = ContainerBytes.inserting(Self.unknownSection("qrST"), at: count,
                                               into: ContainerBytes.inserting(Self.unknownSection("zzzz"), at: 1, into: bytes))
            #expect(try SqueezeContainer.decodeContents(two, source: name).skippedSections == ["zzzz", "qrST"])
            // Its checksum is still verified.
            var corrupt = ContainerBytes.inserting(Self.unknownSection("zzzz"), at: 1, into: bytes)
            corrupt[ContainerBytes.sections(of: corrupt)[1].range.lowerBound + 10] ^= 1
            #expect(throws: ContainerError.checksumMismatch(file: name, section: "section 2 of \(count + 1)")) {
                try SqueezeContainer.decodeContents(corrupt, source: name)
            }
        }
    }

    @Test("an unknown critical section, or any unknown section first, is refused with one line naming it")
    func criticalRefused() throws {
        for (name, bytes, _) in try Self.containers() {
            for (tag, index) in [("ZZZZ", 1), ("ZZZZ", ContainerBytes.sections(of: bytes).count), ("Zzzz", 1), ("zzzz", 0)] {
                let edited = ContainerBytes.inserting(Self.unknownSection(tag), at: index, into: bytes)
                do {
                    _ = try SqueezeContainer.decodeContents(edited, source: name)
                    Issue.record("\(name): section \(tag) at \(index) was accepted")
                } catch {
                    #expect(error.description.hasPrefix("\(name): "), "\(error.description)")
                    #expect(error.description.contains(tag), "\(error.description)")
                    #expect(error.description.contains("section \(index + 1) of"), "\(error.description)")
                    #expect(error.description.isOneLine, "\(error.description)")
                }
            }
        }
    }

    // MARK: Writing what can be read

    /// The field walk's finding: a 1.0 definition with a ReLU slope of NaN
    /// decodes, validates and runs, and encodes to a 1.1 container whose graph
    /// the reader refuses ("attribute 'negative_slope' is not finite").
    @Test("a model that validate() and encode accept decodes again: a ReLU slope of NaN")
    func nonFiniteAttribute() throws {
        let base = SmallModel.network
        let layers = [base.layers[0], Layer(name: "leaky", kind: ReLU(negativeSlope: .nan), bottoms: ["a"], tops: ["a"])]
            + base.layers.dropFirst()
        let model = Model(network: Network(name: base.name, inputs: base.inputs, layers: layers), parameters: SmallModel.model.parameters)
        // Fixed by refusing it everywhere: validate() and encode refuse it, as decoding does.
        #expect(throws: ModelError.self) { try model.validate() }
        #expect(throws: ContainerError.self) { try SqueezeContainer.encode(model) }
    }

    @Test("binaryDefinition(for:) refuses a network Caffe cannot express")
    func binaryDefinitionRefuses() {
        #expect(throws: ReaderError.self) { try CaffeDefinition.binaryDefinition(for: EveryOperatorModel.network) }
    }

    // MARK: Metadata

    /// Any Unicode scalar (surrogates become U+FFFD).
    static let character = Gen.uint32(in: 0...0x10FFFF).map { Character(Unicode.Scalar($0) ?? "\u{FFFD}") }

    /// One entry: a key and a value of a random type.
    static let entry = zip(Gen.int(in: 0...4), character.string(of: 1...12), character.string(of: 0...16),
                           Gen.int(in: .min ... .max), Gen.uint64(in: .min ... .max),
                           character.string(of: 0...6).array(of: 0...4), Gen.uint64(in: .min ... .max).array(of: 0...5))
        .map { kind, key, text, int, bits, texts, floats -> (String, ContainerMetadata.Value) in
            let value: ContainerMetadata.Value = switch kind {
            case 0: .string(text)
            case 1: .int(int)
            case 2: .float(Double(bitPattern: bits))
            case 3: .strings(texts)
            default: .floats(floats.map { Double(bitPattern: $0) })
            }
            return (key, value)
        }

    /// Equal values, floats (NaN among them) by bit pattern and text by its UTF-8 bytes.
    static func same(_ a: ContainerMetadata.Value, _ b: ContainerMetadata.Value) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): Array(x.utf8) == Array(y.utf8)
        case (.int(let x), .int(let y)): x == y
        case (.float(let x), .float(let y)): x.bitPattern == y.bitPattern
        case (.strings(let x), .strings(let y)): x.map { Array($0.utf8) } == y.map { Array($0.utf8) }
        case (.floats(let x), .floats(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
        default: false
        }
    }

    @Test("metadata of every type round-trips, in order, bit for bit")
    func metadataRoundTrip() async {
        await propertyCheck(count: 200, input: Self.entry.array(of: 0...8)) { entries in
            var metadata = ContainerMetadata()
            for (key, value) in entries { metadata[key] = value }
            let bytes = try SqueezeContainer.encode(SmallModel.model, metadata: metadata).bytes
            #expect(ContainerBytes.sections(of: bytes).map(\.tag).prefix(2) == (metadata.isEmpty ? ["GRPH", "LAYR"] : ["GRPH", "meta"]))
            let contents = try SqueezeContainer.decodeContents(bytes, source: "meta.sqz")
            #expect(contents.version == (1, 1))
            #expect(contents.model == SmallModel.model)
            let decoded = contents.metadata.entries
            #expect(decoded.count == metadata.entries.count)
            for (a, b) in zip(decoded, metadata.entries) {
                #expect(Array(a.key.utf8) == Array(b.key.utf8))
                #expect(Self.same(a.value, b.value), "'\(b.key)': \(a.value) != \(b.value)")
            }
            // Written again, the decoded metadata gives the same bytes.
            #expect(try SqueezeContainer.encode(contents.model, metadata: contents.metadata).bytes == bytes)
        }
    }

    @Test("a metadata key that is empty or longer than 65,535 bytes is refused when encoding")
    func metadataKeysRefused() {
        for key in ["", String(repeating: "k", count: 65_536)] {
            var metadata = ContainerMetadata()
            metadata[key] = .int(1)
            #expect(throws: ContainerError.self) { try SqueezeContainer.encode(SmallModel.model, metadata: metadata) }
        }
    }
}
