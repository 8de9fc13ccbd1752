extension HuffmanCode {
    /// The code lengths as stored in a container: one byte giving the bits per
    /// length (4, or 8 when a code is longer than 15 bits), then the lengths of
    /// symbols `0..<alphabetSize` packed least-significant bit first.
    public func serializedLengths() -> [UInt8] {
        let width = longestLength > 15 ? 8 : 4
        var writer = BitWriter(capacity: 1 + lengths.count * width / 8)
        writer.write(UInt32(width), width: 8)
        for l in lengths { writer.write(UInt32(l), width: width) }
        return writer.finish()
    }

    /// The size in bytes of `serializedLengths()` for an alphabet, given its width.
    public static func serializedLengthsSize(alphabetSize: Int, width: Int) -> Int {
        1 + (alphabetSize * width + 7) / 8
    }

    /// Reads a code from `serializedLengths()` bytes; `alphabetSize` comes from
    /// the surrounding header. Returns the code and the bytes it used.
    public static func deserialize(_ bytes: ArraySlice<UInt8>, alphabetSize: Int) throws(EncodingError) -> (HuffmanCode, Int) {
        guard alphabetSize >= 0, alphabetSize <= 1 << 16 else { throw .absurdSize(alphabetSize) }
        guard let width = bytes.first.map(Int.init) else { throw .truncated }
        guard width == 4 || width == 8 else { throw .corrupt("code lengths of \(width) bits") }
        let size = serializedLengthsSize(alphabetSize: alphabetSize, width: width)
        guard bytes.count >= size else { throw .truncated }
        var reader = BitReader(Array(bytes.prefix(size).dropFirst()))
        var lengths = [UInt8](repeating: 0, count: alphabetSize)
        for i in 0..<alphabetSize { lengths[i] = UInt8(try reader.read(width: width)) }
        return (try HuffmanCode(lengths: lengths), size)
    }
}
