import SqueezeModel

/// Typed key-values stored beside a model, in the spirit of GGUF's metadata:
/// the input's preprocessing, class labels, where the model came from, and
/// what the compression stages did. Keys are dotted names
/// (`preprocessing.mean`); docs/FORMAT.md lists the ones the toolkit writes.
public struct ContainerMetadata: Hashable, Sendable {
    /// One value.
    public enum Value: Hashable, Sendable, CustomStringConvertible {
        /// UTF-8 text.
        case string(String)
        /// A signed integer.
        case int(Int)
        /// A float64.
        case float(Double)
        /// A list of texts (class labels).
        case strings([String])
        /// A list of float64.
        case floats([Double])

        public var description: String {
            switch self {
            case .string(let v): "\"\(v)\""
            case .int(let v): "\(v)"
            case .float(let v): "\(v)"
            case .strings(let v): "[\(v.count) strings]"
            case .floats(let v): "[" + v.map { "\($0)" }.joined(separator: ", ") + "]"
            }
        }
    }

    /// The entries in the order they were set.
    public private(set) var entries: [(key: String, value: Value)] = []

    /// No entries.
    public init() {}

    /// The value under `key`, or nil; setting nil removes the entry.
    public subscript(key: String) -> Value? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The keys, in order.
    public var keys: [String] { entries.map(\.key) }

    /// A text value, or nil when absent or of another type.
    public func string(_ key: String) -> String? {
        if case .string(let v)? = self[key] { return v }
        return nil
    }

    /// A number (int or float), or nil.
    public func number(_ key: String) -> Double? {
        switch self[key] {
        case .int(let v)?: Double(v)
        case .float(let v)?: v
        default: nil
        }
    }

    /// A list of numbers, or nil.
    public func numbers(_ key: String) -> [Double]? {
        if case .floats(let v)? = self[key] { return v }
        return nil
    }

    public static func == (a: ContainerMetadata, b: ContainerMetadata) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

/// The `meta` section: `u32 count`, then per entry `string key, u8 type, value`
/// (types: 0 string `u32 n, n bytes`; 1 int `i64`; 2 float `f64`; 3 strings
/// `u32 n, n strings`; 4 floats `u32 n, n x f64`; keys are `u16 n, n bytes`).
enum MetadataSection {
    static func encode(_ metadata: ContainerMetadata) throws(ContainerError) -> [UInt8] {
        var w = ByteWriter()
        func longString(_ s: String) {
            w.u32(UInt32(clamping: s.utf8.count))
            w.append(Array(s.utf8))
        }
        w.u32(UInt32(clamping: metadata.entries.count))
        for (key, value) in metadata.entries {
            guard !key.isEmpty, key.utf8.count <= Int(UInt16.max) else { throw .invalidModel("metadata key '\(key.prefix(40))' is empty or too long") }
            w.string(key)
            switch value {
            case .string(let v):
                w.u8(0)
                longString(v)
            case .int(let v):
                w.u8(1)
                w.u64(UInt64(bitPattern: Int64(v)))
            case .float(let v):
                w.u8(2)
                w.u64(v.bitPattern)
            case .strings(let v):
                w.u8(3)
                w.u32(UInt32(clamping: v.count))
                v.forEach(longString)
            case .floats(let v):
                w.u8(4)
                w.u32(UInt32(clamping: v.count))
                for x in v { w.u64(x.bitPattern) }
            }
        }
        return w.bytes
    }

    static func decode(_ r: inout ByteReader) throws(ContainerError) -> ContainerMetadata {
        func longString(_ what: String) throws(ContainerError) -> String {
            let n = Int(try r.u32("\(what) length"))
            let raw = try r.slice(n, what)
            guard let text = String(validating: raw, as: UTF8.self) else { throw r.failure("\(what) is not valid UTF-8") }
            return text
        }
        var metadata = ContainerMetadata()
        let count = Int(try r.u32("entry count"))
        guard count <= r.remaining / 4 else { throw r.failure("\(count) entries cannot fit in \(r.remaining) bytes") }
        for _ in 0..<count {
            let key = try r.string("a key")
            guard !key.isEmpty, metadata[key] == nil else { throw r.failure("key '\(key)' is empty or given twice") }
            let type = try r.u8("the type of '\(key)'")
            switch type {
            case 0:
                metadata[key] = .string(try longString("'\(key)'"))
            case 1:
                metadata[key] = .int(Int(Int64(bitPattern: try r.u64("'\(key)'"))))
            case 2:
                metadata[key] = .float(Double(bitPattern: try r.u64("'\(key)'")))
            case 3:
                let n = Int(try r.u32("the length of '\(key)'"))
                guard n <= r.remaining / 4 else { throw r.failure("'\(key)' claims \(n) strings in \(r.remaining) bytes") }
                var values: [String] = []
                values.reserveCapacity(n)
                for _ in 0..<n { values.append(try longString("a string of '\(key)'")) }
                metadata[key] = .strings(values)
            case 4:
                let n = Int(try r.u32("the length of '\(key)'"))
                try r.need(Checked.saturatingMultiply(n, 8), "'\(key)'")
                var values: [Double] = []
                values.reserveCapacity(n)
                for _ in 0..<n { values.append(Double(bitPattern: try r.u64("'\(key)'"))) }
                metadata[key] = .floats(values)
            default:
                throw r.failure("'\(key)' has unknown type \(type)")
            }
        }
        guard r.remaining == 0 else { throw r.failure("\(r.remaining) bytes after the last entry") }
        return metadata
    }
}
