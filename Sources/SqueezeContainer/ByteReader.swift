/// Reads little-endian fields from one section's bytes; running out throws
/// `ContainerError.malformed` naming the section.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int
    let file: String
    let section: String

    init(_ bytes: [UInt8], range: Range<Int>, file: String, section: String) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.file = file
        self.section = section
    }

    var remaining: Int { end - offset }

    func failure(_ reason: String) -> ContainerError {
        .malformed(file: file, section: section, reason: reason)
    }

    mutating func need(_ count: Int, _ what: String) throws(ContainerError) {
        guard count >= 0, count <= remaining else {
            throw failure("\(what) needs \(count) bytes, \(remaining) left in the section")
        }
    }

    mutating func u8(_ what: String) throws(ContainerError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ what: String) throws(ContainerError) -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32(_ what: String) throws(ContainerError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    mutating func f32s(_ count: Int, _ what: String) throws(ContainerError) -> [Float] {
        try need(4 * count, what)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = offset + 4 * i
            values[i] = Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8
                | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        offset += 4 * count
        return values
    }

    mutating func slice(_ count: Int, _ what: String) throws(ContainerError) -> ArraySlice<UInt8> {
        try need(count, what)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }
}
