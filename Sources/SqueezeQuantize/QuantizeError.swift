/// Why a quantization plan could not be applied.
public enum QuantizeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A plan names a layer the model does not have (or one without weights).
    case unknownLayer(String, known: [String])
    /// Bits outside 1...16.
    case invalidBits(String, Int)
    /// The same layer is named twice.
    case duplicateLayer(String)

    public var description: String {
        switch self {
        case .unknownLayer(let name, let known):
            "unknown layer '\(name)'; layers with weights: \(known.joined(separator: ", "))"
        case .invalidBits(let what, let bits): "\(bits) bits for \(what) is outside 1...16"
        case .duplicateLayer(let name): "layer '\(name)' is named twice"
        }
    }
}
