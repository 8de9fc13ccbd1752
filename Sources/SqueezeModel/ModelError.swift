/// Why a network definition or its weights are unusable.
///
/// Every message is one line that names the layer (or blob) at fault.
public enum ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Two layers share a name.
    case duplicateLayerName(String)
    /// A layer reads a blob that no input or earlier layer produces.
    case unknownBlob(layer: String, blob: String)
    /// A layer has the wrong number of inputs or outputs.
    case wrongArity(layer: String, expected: String, actual: Int)
    /// A hyper-parameter is out of range (zero kernel, groups not dividing channels, ...).
    case invalidParameter(layer: String, reason: String)
    /// The input shape does not fit the layer (kernel larger than the padded input, ...).
    case shapeMismatch(layer: String, reason: String)
    /// A shape or count passes a ceiling of ``SizeLimits`` (or overflows on the way).
    case tooLarge(layer: String, reason: String)
    /// The network has no inputs, or an input has a non-positive dimension.
    case invalidInput(String)
    /// A weighted layer has no weights.
    case missingWeights(layer: String)
    /// Weights were given for a layer the network does not have (or that has no weights).
    case unexpectedWeights(layer: String)
    /// A weight tensor's shape or contents do not match the layer.
    case invalidWeights(layer: String, reason: String)

    /// `name` with control characters written as `\u{..}` escapes, so that
    /// a name read from a file cannot break a one-line message.
    public static func printable(_ name: String) -> String {
        guard name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return name }
        return name.unicodeScalars.map { s in
            s.value < 0x20 || s.value == 0x7F ? "\\u{\(String(s.value, radix: 16))}" : String(s)
        }.joined()
    }

    /// A one-line explanation.
    public var description: String {
        let p = Self.printable
        return switch self {
        case .duplicateLayerName(let name):
            "two layers are named '\(p(name))'"
        case .unknownBlob(let layer, let blob):
            "layer '\(p(layer))' reads blob '\(p(blob))', which no input or earlier layer produces"
        case .wrongArity(let layer, let expected, let actual):
            "layer '\(p(layer))' needs \(expected), got \(actual)"
        case .invalidParameter(let layer, let reason):
            "layer '\(p(layer))': \(reason)"
        case .shapeMismatch(let layer, let reason):
            "layer '\(p(layer))': \(reason)"
        case .tooLarge(let layer, let reason):
            "layer '\(p(layer))': \(reason)"
        case .invalidInput(let reason):
            "network input: \(reason)"
        case .missingWeights(let layer):
            "layer '\(p(layer))' has no weights"
        case .unexpectedWeights(let layer):
            "weights given for '\(p(layer))', which is not a weighted layer of this network"
        case .invalidWeights(let layer, let reason):
            "weights of layer '\(p(layer))': \(reason)"
        }
    }
}
