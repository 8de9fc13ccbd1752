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

    /// A zigzag LEB128 varint of at most 10 bytes.
    mutating func varint(_ what: String) throws(ContainerError) -> Int64 {
        var z: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            let byte = try u8(what)
            guard shift < 63 || byte <= 1 else { throw failure("\(what) is a varint longer than 64 bits") }
            z |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1) }
        }
        throw failure("\(what) is a varint longer than 64 bits")
    }

    mutating func u64(_ what: String) throws(ContainerError) -> UInt64 {
        let low = UInt64(try u32(what)), high = UInt64(try u32(what))
        return low | high << 32
    }

    /// `u16 length, UTF-8 bytes`, refused when not valid UTF-8.
    mutating func string(_ what: String) throws(ContainerError) -> String {
        let count = Int(try u16("\(what) length"))
        let raw = try slice(count, what)
        guard let text = String(validating: raw, as: UTF8.self) else { throw failure("\(what) is not valid UTF-8") }
        return text
    }

    mutating func slice(_ count: Int, _ what: String) throws(ContainerError) -> ArraySlice<UInt8> {
        try need(count, what)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }
}
