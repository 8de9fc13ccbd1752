import SqueezeEncode

extension SqueezeContainer {
    /// `bytes` with the header's and every whole section's CRC-32C recomputed,
    /// so that an edited container gets past the checksums to the checks
    /// behind them. For tools, format tests and structure-aware fuzzing; it
    /// never traps, whatever the bytes: framing that does not fit is left as is.
    public static func repairingChecksums(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        guard out.count >= SqueezeFormat.headerSize else { return out }
        store(CRC32C.checksum(Array(out[0..<16])), at: 16, in: &out)
        var offset = SqueezeFormat.headerSize
        while out.count - offset >= 12 {
            let length = Int(load(at: offset + 4, in: out))
            guard length <= out.count - offset - 12 else { break }
            let end = offset + 8 + length
            store(out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }, at: end, in: &out)
            offset = end + 4
        }
        return out
    }

    private static func load(at offset: Int, in bytes: [UInt8]) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    private static func store(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}
