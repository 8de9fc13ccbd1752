/// One typed attribute value of an operator.
public enum AttributeValue: Hashable, Sendable, CustomStringConvertible {
    /// A signed integer.
    case int(Int)
    /// A float.
    case float(Float)
    /// A list of signed integers.
    case ints([Int])
    /// A list of floats.
    case floats([Float])
    /// UTF-8 text.
    case string(String)

    /// The type's name in messages and in the container.
    public var typeName: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .ints: "ints"
        case .floats: "floats"
        case .string: "string"
        }
    }

    /// `3`, `0.5`, `[1, 2]`, `"max"`.
    public var description: String {
        switch self {
        case .int(let v): "\(v)"
        case .float(let v): "\(v)"
        case .ints(let v): "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .floats(let v): "[" + v.map { "\($0)" }.joined(separator: ", ") + "]"
        case .string(let v): "\"\(v)\""
        }
    }
}

/// An operator's attributes by name, in a fixed order: what the container
/// stores for a layer and what an operator is rebuilt from.
///
/// Operators write only the attributes that differ from their defaults, so the
/// same network always encodes to the same bytes.
public struct Attributes: Hashable, Sendable, CustomStringConvertible {
    /// The entries in the order they were set.
    public private(set) var entries: [(name: String, value: AttributeValue)] = []

    /// No attributes.
    public init() {}

    /// Attributes from entries; a later entry of the same name replaces an earlier one.
    public init(_ entries: [(String, AttributeValue)]) {
        for (name, value) in entries { self[name] = value }
    }

    /// The value called `name`, or nil.
    public subscript(name: String) -> AttributeValue? {
        get { entries.first { $0.name == name }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((name, newValue))
            }
        }
    }

    /// The names, in order.
    public var names: [String] { entries.map(\.name) }

    /// Whether there are none.
    public var isEmpty: Bool { entries.isEmpty }

    /// `kernel=[3, 3] stride=[2, 2]`.
    public var description: String { entries.map { "\($0.name)=\($0.value)" }.joined(separator: " ") }

    public static func == (a: Attributes, b: Attributes) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (name, value) in entries {
            hasher.combine(name)
            hasher.combine(value)
        }
    }
}

extension Attributes {
    /// Sets `name` to `value` unless it equals `defaultValue`.
    public mutating func set(_ name: String, _ value: Int, default defaultValue: Int? = nil) {
        if value != defaultValue { self[name] = .int(value) }
    }

    /// Sets `name` to `value` unless it equals `defaultValue`.
    public mutating func set(_ name: String, _ value: Float, default defaultValue: Float? = nil) {
        if value != defaultValue { self[name] = .float(value) }
    }

    /// Sets `name` to `value` unless it equals `defaultValue`.
    public mutating func set(_ name: String, _ value: [Int], default defaultValue: [Int]? = nil) {
        if value != defaultValue { self[name] = .ints(value) }
    }

    /// Sets `name` to `value` unless it equals `defaultValue`.
    public mutating func set(_ name: String, _ value: String, default defaultValue: String? = nil) {
        if value != defaultValue { self[name] = .string(value) }
    }

    /// Sets `name` to `value` unless it equals `defaultValue`.
    public mutating func set(_ name: String, _ value: Bool, default defaultValue: Bool) {
        if value != defaultValue { self[name] = .int(value ? 1 : 0) }
    }
}

/// Why attributes do not make an operator: a wrong type, a missing value or one
/// no operator of that type accepts.
public struct AttributeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A one-line explanation naming the attribute.
    public var description: String

    /// An error with its explanation.
    public init(_ description: String) { self.description = description }
}

/// Reads an operator's attributes, refusing unknown names and wrong types.
///
/// An operator's `init(attributes:)` asks for each attribute it knows once;
/// `finish()` then refuses any attribute left over, so a misspelt or newer
/// attribute is an error rather than silently ignored.
public struct AttributeReader {
    private let attributes: Attributes
    private var used = Set<String>()

    /// A reader over `attributes`.
    public init(_ attributes: Attributes) { self.attributes = attributes }

    private mutating func value(_ name: String) -> AttributeValue? {
        used.insert(name)
        return attributes[name]
    }

    /// An integer attribute, `defaultValue` when absent.
    public mutating func int(_ name: String, default defaultValue: Int) throws(AttributeError) -> Int {
        switch value(name) {
        case nil: return defaultValue
        case .int(let v)?: return v
        case let other?: throw AttributeError("attribute '\(name)' must be an int, not \(other.typeName)")
        }
    }

    /// A required integer attribute.
    public mutating func int(_ name: String) throws(AttributeError) -> Int {
        guard attributes[name] != nil else { throw AttributeError("attribute '\(name)' is missing") }
        return try int(name, default: 0)
    }

    /// A boolean stored as an int 0 or 1.
    public mutating func bool(_ name: String, default defaultValue: Bool) throws(AttributeError) -> Bool {
        let v = try int(name, default: defaultValue ? 1 : 0)
        guard v == 0 || v == 1 else { throw AttributeError("attribute '\(name)' must be 0 or 1, not \(v)") }
        return v == 1
    }

    /// A float attribute (an int is accepted), `defaultValue` when absent.
    public mutating func float(_ name: String, default defaultValue: Float) throws(AttributeError) -> Float {
        switch value(name) {
        case nil: return defaultValue
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        case let other?: throw AttributeError("attribute '\(name)' must be a float, not \(other.typeName)")
        }
    }

    /// A list of integers (a single int is a list of one), `defaultValue` when absent.
    public mutating func ints(_ name: String, default defaultValue: [Int]) throws(AttributeError) -> [Int] {
        switch value(name) {
        case nil: return defaultValue
        case .ints(let v)?:
            guard v.count <= SizeLimits.maximumLayerArity else {
                throw AttributeError("attribute '\(name)' has \(v.count) values, more than \(SizeLimits.maximumLayerArity)")
            }
            return v
        case .int(let v)?: return [v]
        case let other?: throw AttributeError("attribute '\(name)' must be ints, not \(other.typeName)")
        }
    }

    /// A list of floats (a single float is a list of one), `defaultValue` when absent.
    public mutating func floats(_ name: String, default defaultValue: [Float]) throws(AttributeError) -> [Float] {
        switch value(name) {
        case nil: return defaultValue
        case .floats(let v)?: return v
        case .float(let v)?: return [v]
        case let other?: throw AttributeError("attribute '\(name)' must be floats, not \(other.typeName)")
        }
    }

    /// A string attribute, `defaultValue` when absent.
    public mutating func string(_ name: String, default defaultValue: String) throws(AttributeError) -> String {
        switch value(name) {
        case nil: return defaultValue
        case .string(let v)?: return v
        case let other?: throw AttributeError("attribute '\(name)' must be a string, not \(other.typeName)")
        }
    }

    /// A string attribute that must be one of `cases`' raw values.
    public mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, default defaultValue: T) throws(AttributeError) -> T
    where T.RawValue == String {
        let raw = try string(name, default: defaultValue.rawValue)
        guard let v = T(rawValue: raw) else {
            throw AttributeError("attribute '\(name)' is \"\(raw)\", not one of "
                                 + T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        return v
    }

    /// Refuses attributes that were never asked for.
    public func finish() throws(AttributeError) {
        if let extra = attributes.names.first(where: { !used.contains($0) }) {
            throw AttributeError("unknown attribute '\(extra)'")
        }
    }
}
