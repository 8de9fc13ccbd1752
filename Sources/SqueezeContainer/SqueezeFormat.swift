/// Constants of the `.sqz` format (docs/FORMAT.md).
public enum SqueezeFormat {
    /// The first eight bytes: `\x89SQZ\r\n\x1a\n` (a PNG-style signature that
    /// catches text-mode and 7-bit transfers).
    public static let magic: [UInt8] = [0x89, 0x53, 0x51, 0x5A, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Incompatible changes bump the major version.
    public static let majorVersion = 1
    /// Compatible additions bump the minor version: 1.1 stores the network
    /// as a typed graph (`GRPH`) and may carry ancillary sections. Readers
    /// accept every minor version of their major version.
    public static let minorVersion = 1
    /// Bytes before the first section: magic, versions, section count, header CRC-32C.
    public static let headerSize = 20

    /// Section tags. As in PNG, the case of the first letter says what a
    /// reader must do with a tag it does not know: upper case is critical
    /// (refuse the file), lower case is ancillary (skip the section).
    enum Tag: UInt32 {
        /// The network definition of version 1.0 (binary Caffe `NetParameter`).
        case network = 0x5754_454E  // "NETW"
        /// The network as a typed graph (version 1.1).
        case graph = 0x4850_5247  // "GRPH"
        /// One weighted layer's parameters.
        case layer = 0x5259_414C  // "LAYR"
        /// Metadata key-values (ancillary).
        case metadata = 0x6174_656D  // "meta"

        var name: String { Self.name(of: rawValue) }

        /// The four ASCII letters of a tag value.
        static func name(of value: UInt32) -> String {
            let bytes = (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
            return bytes.allSatisfy({ (0x20...0x7E).contains($0) }) ? String(decoding: bytes, as: UTF8.self)
                : "0x" + String(value, radix: 16)
        }

        /// Whether a reader that does not know `value` may skip its section.
        static func isAncillary(_ value: UInt32) -> Bool { (0x61...0x7A).contains(value & 0xFF) }
    }

    /// How a layer's weights are stored.
    public enum StorageKind: UInt8, Sendable {
        /// Every weight as float32.
        case dense = 0
        /// Pruned: relative indices and float32 values.
        case sparse = 1
        /// Weight-shared: one codebook index per weight.
        case shared = 2
        /// Pruned and weight-shared: codebook indices and relative indices.
        case sparseShared = 3
    }
}

/// How a container's integer streams are entropy-coded.
public enum EntropyCodec: String, CaseIterable, Sendable, Codable {
    /// Fixed-width packing, no entropy coding.
    case raw
    /// Canonical Huffman codes, per layer and per stream.
    case huffman
    /// zstd over the fixed-width packing.
    case zstd

    var byte: UInt8 {
        switch self {
        case .raw: 0
        case .huffman: 1
        case .zstd: 2
        }
    }

    init?(byte: UInt8) {
        switch byte {
        case 0: self = .raw
        case 1: self = .huffman
        case 2: self = .zstd
        default: return nil
        }
    }
}
