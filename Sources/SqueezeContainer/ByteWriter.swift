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
}
