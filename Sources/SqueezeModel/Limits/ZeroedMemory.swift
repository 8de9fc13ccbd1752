#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Large zeroed buffers whose allocation fails with an error instead of
/// trapping: activation arenas and training buffers, whose sizes come from the
/// network. Free them with ``release(_:)``.
public enum ZeroedMemory {
    /// `count` zeroed values of `T` (at least one is allocated, so the base
    /// address is never nil); `what` names them in the error.
    ///
    /// - Throws: ``ResourceError/allocationFailed(what:bytes:)`` when the system
    ///   refuses (a `--memory-limit` above what the machine or `ulimit` allows).
    public static func allocate<T>(_ type: T.Type, count: Int, what: String) throws(ResourceError) -> UnsafeMutableBufferPointer<T> {
        let elements = max(count, 1)
        guard MemoryLayout<T>.alignment <= 16, let bytes = Checked.multiply(elements, MemoryLayout<T>.stride),
              let raw = calloc(elements, MemoryLayout<T>.stride)
        else {
            throw .allocationFailed(what: what, bytes: Checked.saturatingMultiply(elements, MemoryLayout<T>.stride))
        }
        _ = bytes
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: elements), count: max(count, 0))
    }

    /// Frees a buffer from ``allocate(_:count:what:)``.
    public static func release<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
        free(buffer.baseAddress)
    }
}
