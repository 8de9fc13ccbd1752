extension HuffmanCode {
    /// The code lengths as stored in a container, delta-coded because lengths of
    /// neighbouring symbols (nearby centroids, nearby gaps) are usually close.
    /// Bits, least-significant first, starting from a previous length of 0:
    /// `0` repeats the previous length; `1,0,s` moves it by one (s = 1: down);
    /// `1,1` + 5 bits gives it outright.
    public func serializedLengths() -> [UInt8] {
        var writer = BitWriter(capacity: lengths.count / 4 + 1)
        var previous = 0
        for l in lengths.map(Int.init) {
            if l == previous {
                writer.write(0, width: 1)
            } else if abs(l - previous) == 1 {
                writer.write(1, width: 1)
                writer.write(0, width: 1)
                writer.write(l < previous ? 1 : 0, width: 1)
            } else {
                writer.write(0b11, width: 2)
                writer.write(UInt32(l), width: 5)
            }
            previous = l
        }
        return writer.finish()
    }

    /// Reads a code from `serializedLengths()` bytes; `alphabetSize` comes from
    /// the surrounding header. Returns the code and the bytes it used.
    public static func deserialize(_ bytes: ArraySlice<UInt8>, alphabetSize: Int) throws(EncodingError) -> (HuffmanCode, Int) {
        guard alphabetSize >= 0, alphabetSize <= 1 << 16 else { throw .absurdSize(alphabetSize) }
        // At most 7 bits per length: never look further than that.
        var reader = BitReader(Array(bytes.prefix((alphabetSize * 7 + 7) / 8)))
        let available = reader.remainingBits
        var lengths = [UInt8](repeating: 0, count: alphabetSize)
        var previous = 0
        for i in 0..<alphabetSize {
            if try reader.read(width: 1) == 1 {
                if try reader.read(width: 1) == 0 {
                    previous += try reader.read(width: 1) == 1 ? -1 : 1
                } else {
                    previous = Int(try reader.read(width: 5))
                }
            }
            guard (0...24).contains(previous) else { throw .invalidCodeLengths("length \(previous)") }
            lengths[i] = UInt8(previous)
        }
        let used = (available - reader.remainingBits + 7) / 8
        return (try HuffmanCode(lengths: lengths), used)
    }
}
