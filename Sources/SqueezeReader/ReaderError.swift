import SqueezeModel

/// Why a network definition or a weight file could not be read.
///
/// Every case describes itself in one line that names the file and, where there
/// is one, the line and column or the layer at fault.
public enum ReaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read (a directory, no permission, ...).
    case unreadable(path: String, reason: String)
    /// The text is not valid protobuf text format.
    case syntax(file: String, line: Int, column: Int, message: String)
    /// The text is well-formed but does not fit Caffe's schema (unknown field, bad enum value).
    case schema(file: String, line: Int, column: Int, message: String)
    /// A layer type this toolkit does not run.
    case unsupportedLayer(file: String, layer: String, type: String)
    /// The definition is readable but describes no valid network.
    case invalidNetwork(file: String, reason: String)
    /// A binary file is shorter than the network needs.
    case truncated(file: String, layer: String, needed: Int, available: Int)
    /// A binary file is longer than the network needs.
    case trailingBytes(file: String, count: Int)
    /// The weights in a file are inconsistent with the network.
    case invalidWeights(file: String, reason: String)
    /// A file, or a count in it, passes a size ceiling.
    case tooLarge(file: String, reason: String)
    /// Reading the file would need more memory than the limit allows.
    case resource(file: String, ResourceError)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .syntax(let file, let line, let column, let message):
            "\(file):\(line):\(column): syntax error: \(message)"
        case .schema(let file, let line, let column, let message):
            "\(file):\(line):\(column): \(message)"
        case .unsupportedLayer(let file, let layer, let type):
            "\(file): layer '\(layer)' has type '\(type)', which is not supported "
                + "(supported: \(CaffeLayerType.supportedNames.joined(separator: ", ")))"
        case .invalidNetwork(let file, let reason):
            "\(file): \(reason)"
        case .truncated(let file, let layer, let needed, let available):
            "\(file): truncated in layer '\(layer)': needs \(needed) bytes, \(available) left"
        case .trailingBytes(let file, let count):
            "\(file): \(count) bytes left after the last layer; the file does not belong to this network"
        case .invalidWeights(let file, let reason):
            "\(file): \(reason)"
        case .tooLarge(let file, let reason):
            "\(file): too large: \(reason)"
        case .resource(let file, let error):
            "\(file): \(error)"
        }
    }
}
