/// Packs bit fields least-significant bit first into bytes.
public struct BitWriter: Sendable {
    /// The bytes written so far (the last one may be partly filled).
    public private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    /// An empty writer.
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends the low `width` bits of `value` (width 0...32).
    @inline(__always)
    public mutating func write(_ value: UInt32, width: Int) {
        buffer |= UInt64(value & UInt32(truncatingIfNeeded: (UInt64(1) << width) - 1)) << count
        count += width
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
    }

    /// The number of bits written.
    public var bitCount: Int { bytes.count * 8 + count }

    /// Flushes the partial byte (zero-padded) and returns everything written.
    public mutating func finish() -> [UInt8] {
        if count > 0 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer = 0
            count = 0
        }
        return bytes
    }
}
