#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// How much memory one piece of work may plan to allocate.
///
/// Readers, engines and trainers work out what they will need (a
/// ``MemoryEstimate``) before allocating it and refuse work that passes the
/// limit with a ``ResourceError``. The default, ``systemDefault``, is a
/// fraction of what this process can really get; the command-line tool sets
/// ``current`` from `--memory-limit`.
public struct MemoryLimit: Hashable, Sendable, CustomStringConvertible {
    /// The limit in bytes.
    public var bytes: Int

    /// A limit of `bytes` (at least 1).
    public init(bytes: Int) { self.bytes = max(1, bytes) }

    /// No limit beyond what the address space allows.
    public static let unlimited = MemoryLimit(bytes: .max)

    /// Three quarters of the physical memory (or of the cgroup's `memory.max`
    /// when lower), and at most half of what the address-space and data-size
    /// resource limits (`ulimit -v`, `ulimit -d`) leave this process: thread
    /// stacks, malloc arenas and temporaries need the rest.
    public static var systemDefault: MemoryLimit {
        var limit = Int.max
        if let physical = SystemMemory.physicalBytes { limit = min(limit, physical / 4 * 3) }
        if let cgroup = SystemMemory.cgroupLimitBytes { limit = min(limit, cgroup / 4 * 3) }
        if let headroom = SystemMemory.resourceLimitHeadroom { limit = min(limit, headroom / 2) }
        return MemoryLimit(bytes: limit)
    }

    private static let shared = Mutex<MemoryLimit?>(nil)

    /// The limit used wherever none is passed: until set, ``systemDefault`` as
    /// it was first read, so that every check of one command uses the same
    /// figure (what the process maps grows as it works).
    public static var current: MemoryLimit {
        get {
            shared.withLock { limit in
                if let limit { return limit }
                let first = systemDefault
                limit = first
                return first
            }
        }
        set { shared.withLock { $0 = newValue } }
    }

    /// Refuses `estimate` when its total passes the limit.
    ///
    /// - Throws: ``ResourceError/memoryLimit(work:needed:limit:largest:largestBytes:)``
    ///   naming the largest part.
    public func check(_ estimate: MemoryEstimate) throws(ResourceError) {
        let total = estimate.total
        guard total > bytes else { return }
        let largest = estimate.largest ?? MemoryEstimate.Part(what: estimate.work, bytes: total)
        throw .memoryLimit(work: estimate.work, needed: total, limit: bytes, largest: largest.what,
                           largestBytes: largest.bytes)
    }

    /// `3,221,225,472 bytes (3.0 GiB)`.
    public var description: String { bytes == .max ? "unlimited" : ByteCount.describe(bytes) }
}

/// What the operating system says about memory, for the default limit.
enum SystemMemory {
    /// Installed physical memory.
    static var physicalBytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return Checked.multiply(pages, size)
    }

    /// The memory limit of this process's cgroup (v2 `memory.max`, v1
    /// `memory.limit_in_bytes`), when one is set.
    static var cgroupLimitBytes: Int? {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = smallFile(path) else { continue }
            let value = text.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
            // v1 reports "no limit" as a number near 2^63.
            if let bytes = Int(value), bytes > 0, bytes < 1 << 60 { return bytes }
        }
        return nil
    }

    /// The smaller of what `RLIMIT_AS` and `RLIMIT_DATA` leave this process
    /// beyond what it maps already, or nil when neither is set.
    static var resourceLimitHeadroom: Int? {
        #if os(Linux)
        let page = max(1, sysconf(Int32(_SC_PAGESIZE)))
        // /proc/self/statm: size resident shared text lib data dt, in pages.
        let fields = (smallFile("/proc/self/statm") ?? "").split(separator: " ").compactMap { Int($0) }
        let mapped = fields.count > 0 ? fields[0] * page : 0
        let data = fields.count > 5 ? fields[5] * page : 0
        var headroom: Int?
        for (resource, used) in [(RLIMIT_AS, mapped), (RLIMIT_DATA, data)] {
            var limit = rlimit()
            guard getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
                  limit.rlim_cur < UInt64(Int.max) else { continue }
            let left = max(0, Int(limit.rlim_cur) - used)
            headroom = min(headroom ?? .max, left)
        }
        return headroom
        #else
        return nil
        #endif
    }

    /// The text of a small pseudo-file, or nil.
    private static func smallFile(_ path: String) -> String? {
        guard let bytes = try? FileContents.read(path, maximumSize: 4096) else { return nil }
        // /proc and /sys files report a size of 0 and are read as empty.
        if !bytes.isEmpty { return String(decoding: bytes, as: UTF8.self) }
        return FileContents.readStream(path, maximumSize: 4096).map { String(decoding: $0, as: UTF8.self) }
    }
}
