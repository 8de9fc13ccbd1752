/// One extent of a graph input's or output's shape.
public enum ONNXDimension: Sendable, Hashable, CustomStringConvertible {
    /// A fixed extent.
    case value(Int)
    /// A named, variable extent (`batch`, `N`).
    case symbol(String)
    /// An extent the file leaves open.
    case unknown

    /// `3`, `batch` or `?`.
    public var description: String {
        switch self {
        case .value(let value): String(value)
        case .symbol(let name): name
        case .unknown: "?"
        }
    }
}

/// A graph input or output as the file declares it (`ValueInfoProto`).
public struct ONNXValueInfo: Sendable, Hashable {
    /// The value's name, which nodes use.
    public var name: String
    /// The element type, or nil when the file gives none (or the value is not
    /// a tensor: a sequence, a map, an optional).
    public var elementType: ONNXTensor.DataType?
    /// The shape, outermost first, or nil when the file gives none (any rank).
    public var dimensions: [ONNXDimension]?

    /// A value of `elementType` and `dimensions`.
    public init(name: String, elementType: ONNXTensor.DataType?, dimensions: [ONNXDimension]?) {
        self.name = name
        self.elementType = elementType
        self.dimensions = dimensions
    }
}
