/// Sequential little-endian reads from a byte buffer. Callers check `remaining`
/// before reading; reads past the end are programming errors.
struct LittleEndianCursor {
    private let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    /// Bytes not yet read.
    var remaining: Int { buffer.count - offset }

    mutating func uint32() -> UInt32 {
        precondition(remaining >= 4)
        let value = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        offset += 4
        return value
    }

    mutating func floats(_ count: Int) -> [Float] {
        precondition(remaining >= 4 * count)
        let start = offset
        offset += 4 * count
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
            }
            initialized = count
        }
    }

    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer {
        precondition(remaining >= count)
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
        offset += count
        return slice
    }
}
