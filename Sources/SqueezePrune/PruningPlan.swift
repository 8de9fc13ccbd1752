import SqueezeModel

/// How much of one layer survives pruning.
public enum PruningRule: Hashable, Sendable {
    /// Han et al.'s rule: drop weights with `|w| < quality * std(w)`.
    case quality(Double)
    /// Keep the largest-magnitude fraction `density` (0...1) of the layer's weights.
    case density(Double)
}

/// What to prune: a rule per layer, a default for the others, or an overall
/// density reached by one quality factor shared by every layer.
public struct PruningPlan: Hashable, Sendable {
    /// Rules for named layers.
    public var layers: [String: PruningRule]
    /// The rule for layers not named (nil: leave them as they are).
    public var defaultRule: PruningRule?
    /// When set, one quality factor for all unnamed layers is searched so that
    /// the whole model keeps this fraction of its weights.
    public var overallDensity: Double?

    /// A plan.
    public init(layers: [String: PruningRule] = [:], defaultRule: PruningRule? = nil, overallDensity: Double? = nil) {
        self.layers = layers
        self.defaultRule = defaultRule
        self.overallDensity = overallDensity
    }

    /// Checks layer names and ranges against `model`.
    public func validate(for model: Model) throws(PruneError) {
        let known = model.network.weightedLayers.map(\.name)
        for (name, rule) in layers.sorted(by: { $0.key < $1.key }) {
            guard known.contains(name) else { throw .unknownLayer(name, known: known) }
            try Self.check(rule, what: "layer '\(name)'")
        }
        if let defaultRule { try Self.check(defaultRule, what: "the other layers") }
        if let overallDensity, !(0...1).contains(overallDensity) || !overallDensity.isFinite {
            throw .invalidDensity("the model", overallDensity)
        }
    }

    private static func check(_ rule: PruningRule, what: String) throws(PruneError) {
        switch rule {
        case .density(let d): guard d.isFinite, (0...1).contains(d) else { throw .invalidDensity(what, d) }
        case .quality(let q): guard q.isFinite, q >= 0 else { throw .invalidQuality(q) }
        }
    }

    /// The plan for step `step` of `steps` of an iterative schedule: densities
    /// move linearly from 1 to their target, quality factors from 0 to theirs.
    public func step(_ step: Int, of steps: Int) -> PruningPlan {
        let f = Double(step) / Double(max(steps, 1))
        func scaled(_ rule: PruningRule) -> PruningRule {
            switch rule {
            case .density(let d): .density(1 - (1 - d) * f)
            case .quality(let q): .quality(q * f)
            }
        }
        return PruningPlan(layers: layers.mapValues(scaled), defaultRule: defaultRule.map(scaled),
                           overallDensity: overallDensity.map { 1 - (1 - $0) * f })
    }
}
