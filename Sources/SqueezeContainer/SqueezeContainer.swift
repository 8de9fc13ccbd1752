import Foundation
import SqueezeEncode
import SqueezeModel
import SqueezeReader

/// The `.sqz` container: a network and its parameters at any stage of the
/// pipeline (dense, pruned, weight-shared), in checksummed sections.
///
/// Layout (docs/FORMAT.md): a 20-byte header (magic, major and minor version,
/// section count, CRC-32C), then sections `u32 tag, u32 length, payload, u32 CRC-32C`:
/// the network (`GRPH`, a typed graph; `NETW`, a Caffe message, in version
/// 1.0 files), optional metadata (`meta`), then one `LAYR` per weighted layer
/// in network order. The file ends exactly after the last section.
public enum SqueezeContainer {
    /// What encoding produced, per layer, for reports.
    public struct LayerEncoding: Hashable, Sendable, Codable {
        /// The layer name.
        public var name: String
        /// Bytes of the whole section (framing and checksum included).
        public var sectionBytes: Int
        /// The coded streams.
        public var streams: [StreamStatistics]
        /// Bits per relative index, for pruned layers.
        public var indexBits: Int?
        /// Bits per codebook index (fixed width), for weight-shared layers.
        public var codeBits: Int?
        /// Codebook entries stored.
        public var codebookCount: Int
        /// Biases stored.
        public var biasCount: Int
    }

    /// A container's bytes with what went into them.
    public struct Encoding: Sendable {
        /// The whole file.
        public var bytes: [UInt8]
        /// Bytes of the header and the network section.
        public var overheadBytes: Int
        /// Per weighted layer, in network order.
        public var layers: [LayerEncoding]
    }

    /// A decoded container: the model, its metadata and the version it was written in.
    public struct Contents: Sendable {
        /// The network and its parameters.
        public var model: Model
        /// The metadata (empty in version 1.0 files).
        public var metadata: ContainerMetadata
        /// The format version, `(major, minor)`.
        public var version: (major: Int, minor: Int)
        /// Ancillary sections skipped because this reader does not know them.
        public var skippedSections: [String]
    }

    /// Encodes `model` (validated first) with `metadata`, in the current version.
    ///
    /// Refused before encoding when the streams it would build, filler entries
    /// included, would need more than `memoryLimit`.
    public static func encode(_ model: Model, metadata: ContainerMetadata = ContainerMetadata(),
                              options: ContainerOptions = ContainerOptions(),
                              memoryLimit: MemoryLimit = .current) throws(ContainerError) -> Encoding {
        do { try model.validate() } catch { throw .invalidModel(error.description) }
        for bits in [options.convolutionIndexBits, options.fullyConnectedIndexBits] where !(1...16).contains(bits) {
            throw .invalidModel("index width \(bits) bits is outside 1...16")
        }
        do { try memoryLimit.check(encodingEstimate(model, options: options)) } catch { throw .resource(error) }
        var file = ByteWriter()
        file.append(SqueezeFormat.magic)
        file.u16(UInt16(SqueezeFormat.majorVersion))
        file.u16(UInt16(SqueezeFormat.minorVersion))
        let weighted = model.network.weightedLayers
        file.u32(UInt32(1 + (metadata.isEmpty ? 0 : 1) + weighted.count))
        file.u32(CRC32C.checksum(file.bytes))
        appendSection(.graph, payload: try GraphSection.encode(model.network), to: &file)
        if !metadata.isEmpty { appendSection(.metadata, payload: try MetadataSection.encode(metadata), to: &file) }
        let overhead = file.bytes.count
        var layers: [LayerEncoding] = []
        for layer in weighted {
            guard let parameters = model.parameters[layer.name] else { throw .invalidModel("layer '\(layer.name)' has no weights") }
            let bits = indexBits(layer, options: options)
            let encoded = try LayerSection.encode(name: layer.name, parameters: parameters, indexBits: bits, options: options)
            let before = file.bytes.count
            appendSection(.layer, payload: encoded.payload, to: &file)
            layers.append(LayerEncoding(name: layer.name, sectionBytes: file.bytes.count - before, streams: encoded.streams,
                                        indexBits: encoded.indexBits, codeBits: encoded.codeBits,
                                        codebookCount: encoded.codebookCount, biasCount: parameters.bias.count))
        }
        return Encoding(bytes: file.bytes, overheadBytes: overhead, layers: layers)
    }

    /// What encoding `model` with `options` needs: layers encode one after
    /// another, so the largest layer's working streams (filler entries
    /// included) and the whole file, grown by doubling, are live at once.
    public static func encodingEstimate(_ model: Model, options: ContainerOptions = ContainerOptions()) -> MemoryEstimate {
        encodingEstimate(model.network.weightedLayers.compactMap { layer in
            model.parameters[layer.name].map {
                (layer.name, LayerSection.storedEntries($0.weights, indexBits: indexBits(layer, options: options)))
            }
        })
    }

    /// What encoding `network` with dense weights of `shapes` needs (a model
    /// that training will make), before the weights exist.
    public static func encodingEstimate(denseNetwork network: Network, shapes: NetworkShapes) -> MemoryEstimate {
        encodingEstimate(zip(network.layers, shapes.layers).compactMap { layer, s in s.weight.map { (layer.name, $0.elementCount) } })
    }

    private static func encodingEstimate(_ layers: [(name: String, entries: Int)]) -> MemoryEstimate {
        var estimate = MemoryEstimate("encoding the container")
        var largest = (name: "", bytes: 0), output = 0
        for (name, entries) in layers {
            let working = Checked.saturatingMultiply(entries, 16)
            if working > largest.bytes { largest = (name, working) }
            output = Checked.saturatingAdd(output, Checked.saturatingMultiply(entries, 6))
        }
        estimate.add("streams of layer '\(largest.name)'", bytes: largest.bytes)
        estimate.add("the file", bytes: Checked.saturatingMultiply(output, 2))
        return estimate
    }

    /// The bytes `layer`'s section takes in a container written with
    /// `options` (framing and checksum included): what budgets count.
    public static func sectionBytes(of layer: Layer, parameters: LayerParameters,
                                    options: ContainerOptions = ContainerOptions()) throws(ContainerError) -> Int {
        let encoded = try LayerSection.encode(name: layer.name, parameters: parameters, indexBits: indexBits(layer, options: options),
                                              options: options)
        return encoded.payload.count + 12
    }

    private static func indexBits(_ layer: Layer, options: ContainerOptions) -> Int {
        if layer.kind is InnerProduct { return options.fullyConnectedIndexBits }
        return options.convolutionIndexBits
    }

    private static func appendSection(_ tag: SqueezeFormat.Tag, payload: [UInt8], to file: inout ByteWriter) {
        let start = file.bytes.count
        file.u32(tag.rawValue)
        file.u32(UInt32(payload.count))
        file.append(payload)
        let crc = file.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        file.u32(crc)
    }

    /// Containers larger than this are refused before reading (a model's is
    /// a few MB; AlexNet's dense weights are 240 MB).
    public static let maximumFileSize = 1 << 31

    /// Reads the container at `url`; see ``decode(_:source:memoryLimit:)``.
    public static func read(contentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(ContainerError) -> Model {
        try decode(bytes(contentsOf: url, memoryLimit: memoryLimit), source: url.path, memoryLimit: memoryLimit)
    }

    /// Reads the container at `url` with its metadata; see ``decodeContents(_:source:memoryLimit:)``.
    public static func readContents(contentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(ContainerError) -> Contents {
        try decodeContents(bytes(contentsOf: url, memoryLimit: memoryLimit), source: url.path, memoryLimit: memoryLimit)
    }

    /// Decodes a container's model; see ``decodeContents(_:source:memoryLimit:)``.
    public static func decode(_ bytes: [UInt8], source: String,
                              memoryLimit: MemoryLimit = .current) throws(ContainerError) -> Model {
        try decodeContents(bytes, source: source, memoryLimit: memoryLimit).model
    }

    /// The bytes of the container file at `url`, not yet decoded; refused
    /// before reading when the file passes ``maximumFileSize`` or `memoryLimit`.
    public static func bytes(contentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(ContainerError) -> [UInt8] {
        do {
            return try FileContents.read(url.path, maximumSize: min(maximumFileSize, memoryLimit.bytes))
        } catch {
            switch error {
            case .notFound: throw .io(path: url.path, reason: "no such file")
            case .unreadable(let reason): throw .io(path: url.path, reason: "cannot read: \(reason)")
            case .tooLarge(let size, _) where size > maximumFileSize:
                throw .io(path: url.path, reason: "\(ByteCount.describe(size)) is more than a container may hold "
                              + "(\(ByteCount.describe(maximumFileSize)))")
            case .tooLarge(let size, _):
                var estimate = MemoryEstimate("reading \(url.path)")
                estimate.add("the file", bytes: size)
                do { try memoryLimit.check(estimate) } catch let refusal { throw .resource(refusal) }
                throw .io(path: url.path, reason: "\(size) bytes could not be read")
            }
        }
    }

    /// Decodes a container's bytes; `source` names it in errors. Every section's
    /// checksum is verified before its contents are trusted.
    ///
    /// Layer sections must follow the network order, one per weighted layer;
    /// decoding is refused up front when it would need more than `memoryLimit`.
    public static func decodeContents(_ bytes: [UInt8], source: String,
                                      memoryLimit: MemoryLimit = .current) throws(ContainerError) -> Contents {
        guard bytes.count >= SqueezeFormat.magic.count, Array(bytes.prefix(8)) == SqueezeFormat.magic else {
            if bytes.count < 8, bytes == Array(SqueezeFormat.magic.prefix(bytes.count)) {
                throw .truncated(file: source, section: "the header")
            }
            throw .notAContainer(file: source)
        }
        guard bytes.count >= SqueezeFormat.headerSize else { throw .truncated(file: source, section: "the header") }
        let headerCRC = UInt32(bytes[16]) | UInt32(bytes[17]) << 8 | UInt32(bytes[18]) << 16 | UInt32(bytes[19]) << 24
        guard CRC32C.checksum(Array(bytes[0..<16])) == headerCRC else { throw .checksumMismatch(file: source, section: "the header") }
        var header = ByteReader(bytes, range: 8..<16, file: source, section: "the header")
        let major = Int(try header.u16("version")), minor = Int(try header.u16("version"))
        guard major == SqueezeFormat.majorVersion else { throw .unsupportedVersion(file: source, major: major, minor: minor) }
        let sectionCount = Int(try header.u32("section count"))
        guard sectionCount >= 1, sectionCount <= (bytes.count - SqueezeFormat.headerSize) / 12 else {
            throw .malformed(file: source, section: "the header", reason: "\(sectionCount) sections cannot fit in \(bytes.count) bytes")
        }
        var offset = SqueezeFormat.headerSize
        var network: Network?
        var metadata = ContainerMetadata(), hasMetadata = false, skipped: [String] = []
        var weighted: [Layer] = []
        // Layer sections are framed, checked and measured here, then decoded in parallel.
        var layouts: [LayerSection.Layout] = []
        for index in 0..<sectionCount {
            let label = "section \(index + 1) of \(sectionCount)"
            guard bytes.count - offset >= 8 else { throw .truncated(file: source, section: label) }
            var frame = ByteReader(bytes, range: offset..<(offset + 8), file: source, section: label)
            let tagValue = try frame.u32("tag"), length = Int(try frame.u32("length"))
            guard length <= bytes.count - offset - 12 else { throw .truncated(file: source, section: label) }
            let end = offset + 8 + length
            let stored = UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16 | UInt32(bytes[end + 3]) << 24
            let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
            guard stored == computed else { throw .checksumMismatch(file: source, section: label) }
            guard let tag = SqueezeFormat.Tag(rawValue: tagValue) else {
                let name = SqueezeFormat.Tag.name(of: tagValue)
                guard index > 0 else {
                    throw .malformed(file: source, section: label, reason: "section 1 must be the network (GRPH or NETW), not \(name)")
                }
                guard SqueezeFormat.Tag.isAncillary(tagValue) else {
                    throw .malformed(file: source, section: label, reason: "unknown critical section tag \(name)")
                }
                skipped.append(name)
                offset = end + 4
                continue
            }
            let named = "\(label) (\(tag.name))"
            var reader = ByteReader(bytes, range: (offset + 8)..<end, file: source, section: named)
            switch tag {
            case .network, .graph:
                guard index == 0, network == nil else { throw reader.failure("a network definition after section 1") }
                let decoded = tag == .graph ? try GraphSection.decode(&reader) : try NetworkSection.decode(&reader)
                network = decoded
                weighted = decoded.weightedLayers
            case .metadata:
                guard network != nil, !hasMetadata, layouts.isEmpty else {
                    throw reader.failure("metadata must come once, after the network and before the layers")
                }
                metadata = try MetadataSection.decode(&reader)
                hasMetadata = true
            case .layer:
                guard network != nil else { throw reader.failure("a layer before the network definition") }
                let layout = try LayerSection.layout(&reader)
                // Sections come in network order (docs/FORMAT.md): one per weighted layer.
                guard layouts.count < weighted.count else {
                    throw reader.failure("layer '\(layout.name)' is one more than the network's \(weighted.count) weighted layers")
                }
                let expected = weighted[layouts.count].name
                guard layout.name == expected else {
                    let reason = weighted.contains { $0.name == layout.name }
                        ? "layer '\(layout.name)' is out of network order: '\(expected)' comes first"
                        : "layer '\(layout.name)' is not a weighted layer of the network (expected '\(expected)')"
                    throw reader.failure(reason)
                }
                layouts.append(layout)
            }
            offset = end + 4
        }
        guard offset == bytes.count else { throw .trailingBytes(file: source, count: bytes.count - offset) }
        guard let network else { throw .malformed(file: source, section: "section 1", reason: "no network definition") }
        guard layouts.count == weighted.count else {
            throw .malformed(file: source, section: "the layers",
                             reason: "\(layouts.count) layer sections for the network's \(weighted.count) weighted layers "
                                 + "(the first without one: '\(weighted[layouts.count].name)')")
        }
        var estimate = MemoryEstimate("decoding \(source)")
        for layout in layouts { estimate.add("layer '\(layout.name)'", bytes: layout.decodedBytes) }
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        // Layer sections decode independently; their entropy decoding is most
        // of the time it takes to open a container: use every core.
        let decoded = layouts.concurrentMap(cost: \.decodedBytes) { layout in
            Result { () throws(ContainerError) in try LayerSection.decode(layout) }
        }
        var parameters: [String: LayerParameters] = [:]
        // The first failure in file order, as a sequential decode would report.
        for (result, layout) in zip(decoded, layouts) {
            parameters[layout.name] = try result.get()
        }
        let model = Model(network: network, parameters: parameters)
        do { try model.validate() } catch { throw .malformed(file: source, section: "the layers", reason: error.description) }
        return Contents(model: model, metadata: metadata, version: (major, minor), skippedSections: skipped)
    }

}
