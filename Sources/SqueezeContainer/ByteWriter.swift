/// Appends little-endian fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func f32s(_ values: [Float]) {
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for v in values { u32(v.bitPattern) }
    }
    mutating func append(_ other: [UInt8]) { bytes += other }
    /// A signed integer as a zigzag LEB128 varint (1 byte for -64...63).
    mutating func varint(_ v: Int64) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: z) | 0x80)
            z >>= 7
        }
        bytes.append(UInt8(z))
    }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    /// `u16 length, UTF-8 bytes`; the caller checks the length fits.
    mutating func string(_ s: String) {
        u16(UInt16(clamping: s.utf8.count))
        bytes += Array(s.utf8.prefix(Int(UInt16.max)))
    }
}
