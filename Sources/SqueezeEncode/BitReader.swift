/// Reads bit fields least-significant bit first; reading past the end throws.
public struct BitReader {
    private let bytes: [UInt8]
    private var position = 0

    /// A reader over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bits not yet read.
    public var remainingBits: Int { bytes.count * 8 - position }

    /// Reads `width` bits (0...32).
    public mutating func read(width: Int) throws(EncodingError) -> UInt32 {
        guard width <= remainingBits else { throw .truncated }
        var value: UInt64 = 0
        var got = 0
        while got < width {
            let byte = UInt64(bytes[(position + got) >> 3])
            let offset = (position + got) & 7
            let take = min(8 - offset, width - got)
            value |= ((byte >> offset) & ((1 << take) - 1)) << got
            got += take
        }
        position += width
        return UInt32(truncatingIfNeeded: value)
    }
}
