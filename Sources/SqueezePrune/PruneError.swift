/// Why a pruning plan could not be applied.
public enum PruneError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A plan names a layer the model does not have (or one without weights).
    case unknownLayer(String, known: [String])
    /// A density outside 0...1.
    case invalidDensity(String, Double)
    /// A quality factor that is negative or not finite.
    case invalidQuality(Double)
    /// The same layer is named twice.
    case duplicateLayer(String)

    public var description: String {
        switch self {
        case .unknownLayer(let name, let known):
            "unknown layer '\(name)'; layers with weights: \(known.joined(separator: ", "))"
        case .invalidDensity(let what, let d): "density \(d) for \(what) is outside 0...1"
        case .invalidQuality(let q): "quality factor \(q) must be a non-negative number"
        case .duplicateLayer(let name): "layer '\(name)' is named twice"
        }
    }
}
