/// Why a piece of work was refused before it started: it would need more
/// memory than the limit allows.
///
/// Every message is one line that names what needs the memory, the figure and
/// the limit.
public enum ResourceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The work needs `needed` bytes; `largest` names its largest part.
    case memoryLimit(work: String, needed: Int, limit: Int, largest: String, largestBytes: Int)
    /// The system refused an allocation the limit allowed.
    case allocationFailed(what: String, bytes: Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .memoryLimit(let work, let needed, let limit, let largest, let largestBytes):
            let need = needed == .max ? "more than 2^63 bytes" : ByteCount.describe(needed)
            let part = largestBytes == .max ? "more than 2^63 bytes" : ByteCount.describe(largestBytes)
            return "\(work) needs \(need) (the largest part: \(largest), \(part)), "
                + "more than the memory limit of \(ByteCount.describe(limit)); see --memory-limit"
        case .allocationFailed(let what, let bytes):
            return "cannot allocate \(ByteCount.describe(bytes)) for \(what): the system has no more memory for this "
                + "process (lower --memory-limit so such work is refused up front)"
        }
    }
}
