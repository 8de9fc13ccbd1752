internal import CZstd

/// zstd, the general-purpose coder that Huffman coding is compared against.
public enum Zstd {
    /// The largest stream this toolkit will decompress (1 GiB).
    public static let maximumSize = 1 << 30

    /// Compresses `bytes` at `level` (1...22; 19 is zstd's strong default for archives).
    public static func compress(_ bytes: [UInt8], level: Int = 19) throws(EncodingError) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                ZSTD_compress(out.baseAddress, bound, input.baseAddress, input.count, Int32(level))
            }
        }
        if ZSTD_isError(written) != 0 { throw .zstd(String(cString: ZSTD_getErrorName(written))) }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses `bytes`, which must expand to exactly `expectedSize` bytes.
    public static func decompress(_ bytes: [UInt8], expectedSize: Int) throws(EncodingError) -> [UInt8] {
        guard expectedSize >= 0, expectedSize <= maximumSize else { throw .absurdSize(expectedSize) }
        // One spare byte catches frames that expand to more than promised.
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        let written = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        if ZSTD_isError(written) != 0 { throw .zstd(String(cString: ZSTD_getErrorName(written))) }
        guard written == expectedSize else {
            throw .corrupt("zstd frame expands to \(written) bytes, expected \(expectedSize)")
        }
        output.removeLast()
        return output
    }
}
