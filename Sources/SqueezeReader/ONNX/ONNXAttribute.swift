/// The value of a node's attribute (`AttributeProto`).
public enum ONNXAttribute: Sendable, Hashable, CustomStringConvertible {
    /// FLOAT.
    case float(Float)
    /// INT.
    case int(Int)
    /// STRING (UTF-8 in the file).
    case string(String)
    /// TENSOR.
    case tensor(ONNXTensor)
    /// FLOATS.
    case floats([Float])
    /// INTS.
    case ints([Int])
    /// STRINGS (UTF-8 in the file).
    case strings([String])
    /// An attribute this reader does not decode: a subgraph (GRAPH, GRAPHS,
    /// the bodies of `If`, `Loop` and `Scan`), a list of tensors, a sparse
    /// tensor, a type, or a reference to an attribute of an enclosing
    /// function. `typeName` is ONNX's name for its type (`GRAPH`).
    case unsupported(typeName: String)

    /// ONNX's name for the attribute's type: `FLOAT`, `INTS`, ...
    public var typeName: String {
        switch self {
        case .float: "FLOAT"
        case .int: "INT"
        case .string: "STRING"
        case .tensor: "TENSOR"
        case .floats: "FLOATS"
        case .ints: "INTS"
        case .strings: "STRINGS"
        case .unsupported(let typeName): typeName
        }
    }

    /// The value, briefly: `3`, `[1, 1]`, `'NOTSET'`, `FLOAT tensor [64, 3, 3, 3]`.
    public var description: String {
        switch self {
        case .float(let value): "\(value)"
        case .int(let value): "\(value)"
        case .string(let value): ONNXText.quoted(value)
        case .tensor(let tensor): "\(tensor.dataType) tensor \(tensor.dimensions)"
        case .floats(let values): "\(values)"
        case .ints(let values): "\(values)"
        case .strings(let values): "[" + values.map(ONNXText.quoted).joined(separator: ", ") + "]"
        case .unsupported(let typeName): "<\(typeName)>"
        }
    }
}
