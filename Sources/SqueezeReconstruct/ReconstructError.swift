/// Why layer-wise reconstruction refused a layer.
public enum ReconstructError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The weights do not divide into the statistics' rows and groups.
    case shapeMismatch(weights: Int, rows: Int)
    /// The damped Gram matrix is not positive definite (non-finite activations).
    case notPositiveDefinite
    /// An option out of range.
    case invalidOption(String)

    /// One line.
    public var description: String {
        switch self {
        case .shapeMismatch(let weights, let rows):
            "reconstruction: \(weights) weights do not fit statistics of \(rows) rows per output channel"
        case .notPositiveDefinite:
            "reconstruction: the layer's input statistics are not finite (the damped Gram matrix is not positive definite)"
        case .invalidOption(let what): "reconstruction: invalid \(what)"
        }
    }
}
