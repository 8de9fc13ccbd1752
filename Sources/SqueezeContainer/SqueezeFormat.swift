/// Constants of the `.sqz` format (docs/FORMAT.md).
public enum SqueezeFormat {
    /// The first eight bytes: `\x89SQZ\r\n\x1a\n` (a PNG-style signature that
    /// catches text-mode and 7-bit transfers).
    public static let magic: [UInt8] = [0x89, 0x53, 0x51, 0x5A, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Incompatible changes bump the major version.
    public static let majorVersion = 1
    /// Compatible additions (new optional sections) bump the minor version.
    public static let minorVersion = 0
    /// Bytes before the first section: magic, versions, section count, header CRC-32C.
    public static let headerSize = 20

    /// Section tags.
    enum Tag: UInt32 {
        /// The network definition (binary Caffe `NetParameter`).
        case network = 0x5754_454E  // "NETW"
        /// One weighted layer's parameters.
        case layer = 0x5259_414C  // "LAYR"

        var name: String {
            switch self {
            case .network: "NETW"
            case .layer: "LAYR"
            }
        }
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
