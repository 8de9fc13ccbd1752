/// What a piece of work will allocate, part by part, worked out before any of
/// it is allocated so that it can be refused with a clear message.
public struct MemoryEstimate: Hashable, Sendable, CustomStringConvertible {
    /// One part: what it is and its bytes (`Int.max` when the figure overflowed).
    public struct Part: Hashable, Sendable {
        /// What the memory is for, naming the layer or field (`activation arena at batch 1`).
        public var what: String
        /// Its size in bytes.
        public var bytes: Int
    }

    /// The work the estimate is for, for messages (`bench`, `training`, `decoding model.sqz`).
    public var work: String
    /// The parts, in the order they were added.
    public private(set) var parts: [Part] = []

    /// An empty estimate for `work`.
    public init(_ work: String) { self.work = work }

    /// Adds `bytes` for `what`; negative figures count as zero.
    public mutating func add(_ what: String, bytes: Int) {
        parts.append(Part(what: what, bytes: max(0, bytes)))
    }

    /// Adds `count` elements of `elementBytes` each (saturating at `Int.max`).
    public mutating func add(_ what: String, count: Int, elementBytes: Int) {
        add(what, bytes: Checked.saturatingMultiply(max(0, count), elementBytes))
    }

    /// Adds every part of `other`, each repeated `times` times (per-thread copies).
    public mutating func add(_ other: MemoryEstimate, times: Int = 1) {
        for p in other.parts {
            let what = times == 1 ? p.what : "\(p.what) x \(times)"
            add(what, bytes: Checked.saturatingMultiply(p.bytes, times))
        }
    }

    /// The total in bytes, `Int.max` when it does not fit.
    public var total: Int { parts.reduce(0) { Checked.saturatingAdd($0, $1.bytes) } }

    /// The largest part, or nil when empty.
    public var largest: Part? { parts.max { $0.bytes < $1.bytes } }

    /// `work: total (parts...)`.
    public var description: String {
        "\(work): \(ByteCount.describe(total))"
            + (parts.isEmpty ? "" : " (" + parts.map { "\($0.what) \(ByteCount.grouped($0.bytes))" }.joined(separator: ", ") + ")")
    }
}
