import Foundation
import SqueezeModel

/// Magnitude pruning: weights below a per-layer threshold become exactly zero
/// and the layer is stored sparse. Weights pruned earlier stay pruned, and a
/// weight-shared layer keeps its codebook (only positions are dropped).
public enum Pruner {
    /// What pruning did to one layer.
    public struct LayerResult: Hashable, Sendable, Codable {
        /// The layer's name.
        public var name: String
        /// All weights of the layer.
        public var weights: Int
        /// Weights kept before.
        public var keptBefore: Int
        /// Weights kept after.
        public var keptAfter: Int
        /// The magnitude threshold used (0 when untouched).
        public var threshold: Float

        /// The fraction kept after.
        public var density: Double { weights > 0 ? Double(keptAfter) / Double(weights) : 0 }
    }

    /// Prunes `model` by `plan`.
    public static func prune(_ model: Model, plan: PruningPlan) throws(PruneError) -> (model: Model, layers: [LayerResult]) {
        try plan.validate(for: model)
        var rules: [String: PruningRule] = [:]
        for layer in model.network.weightedLayers {
            if let rule = plan.layers[layer.name] ?? plan.defaultRule { rules[layer.name] = rule }
        }
        if let overall = plan.overallDensity {
            let q = qualityFactor(for: overall, model: model, fixed: plan.layers)
            for layer in model.network.weightedLayers where plan.layers[layer.name] == nil {
                rules[layer.name] = .quality(q)
            }
        }
        var result = model
        var reports: [LayerResult] = []
        for layer in model.network.weightedLayers {
            guard let p = model.parameters[layer.name] else { continue }
            let before = p.weights.nonZeroCount
            guard let rule = rules[layer.name] else {
                reports.append(LayerResult(name: layer.name, weights: p.weights.elementCount, keptBefore: before,
                                           keptAfter: before, threshold: 0))
                continue
            }
            let values = p.weights.denseValues()
            let t = threshold(values, rule: rule)
            var pruned = p
            pruned.weights = prune(p.weights, values: values, threshold: t, keep: keepCount(values, rule: rule))
            result.parameters[layer.name] = pruned
            reports.append(LayerResult(name: layer.name, weights: p.weights.elementCount, keptBefore: before,
                                       keptAfter: pruned.weights.nonZeroCount, threshold: t))
        }
        return (result, reports)
    }

    /// The magnitude below which `rule` drops weights of `values`.
    public static func threshold(_ values: [Float], rule: PruningRule) -> Float {
        switch rule {
        case .quality(let q):
            return Float(q * standardDeviation(values))
        case .density(let d):
            let keep = Int((d * Double(values.count)).rounded())
            guard keep < values.count else { return 0 }
            guard keep > 0 else { return .infinity }
            var magnitudes = values.map(abs)
            magnitudes.sort(by: >)
            return magnitudes[keep - 1]
        }
    }

    /// For density rules, exactly how many weights to keep (ties at the
    /// threshold are broken by position so the density is met exactly).
    private static func keepCount(_ values: [Float], rule: PruningRule) -> Int? {
        guard case .density(let d) = rule else { return nil }
        return Int((d * Double(values.count)).rounded())
    }

    /// The standard deviation of all of a layer's weights (zeros included, as in
    /// the paper's per-layer threshold).
    static func standardDeviation(_ values: [Float]) -> Double {
        guard !values.isEmpty else { return 0 }
        var sum = 0.0, squares = 0.0
        for v in values { sum += Double(v); squares += Double(v) * Double(v) }
        let mean = sum / Double(values.count)
        return max(squares / Double(values.count) - mean * mean, 0).squareRoot()
    }

    private static func prune(_ weights: WeightTensor, values: [Float], threshold: Float, keep: Int?) -> WeightTensor {
        var kept = [Bool](repeating: false, count: values.count)
        var budget = keep ?? Int.max
        // Strictly above the threshold first, then ties, so a density is met exactly.
        for (i, v) in values.enumerated() where v != 0 && abs(v) > threshold && budget > 0 { kept[i] = true; budget -= 1 }
        if keep != nil {
            for (i, v) in values.enumerated() where v != 0 && abs(v) == threshold && budget > 0 { kept[i] = true; budget -= 1 }
        }
        switch weights.storage {
        case .shared(let codebook, let codes, let positions):
            var newPositions: [UInt32] = [], newCodes: [UInt16] = []
            if let positions {
                for (q, c) in zip(positions, codes) where kept[Int(q)] { newPositions.append(q); newCodes.append(c) }
            } else {
                for (i, c) in codes.enumerated() where kept[i] { newPositions.append(UInt32(i)); newCodes.append(c) }
            }
            return WeightTensor(shape: weights.shape, storage: .shared(codebook: codebook, codes: newCodes, positions: newPositions))
        default:
            var positions: [UInt32] = [], stored: [Float] = []
            for (i, v) in values.enumerated() where kept[i] { positions.append(UInt32(i)); stored.append(v) }
            return WeightTensor(shape: weights.shape, storage: .sparse(positions: positions, values: stored))
        }
    }

    /// The quality factor that, applied to every layer without a rule of its
    /// own, leaves `density` of the model's weights (bisection; density falls
    /// as the factor grows).
    static func qualityFactor(for density: Double, model: Model, fixed: [String: PruningRule]) -> Double {
        let layers = model.network.weightedLayers.compactMap { layer -> (String, [Float], Double)? in
            guard let p = model.parameters[layer.name] else { return nil }
            let values = p.weights.denseValues()
            return (layer.name, values, standardDeviation(values))
        }
        let total = layers.reduce(0) { $0 + $1.1.count }
        var fixedKept = 0
        var free: [([Float], Double)] = []
        for (name, values, std) in layers {
            if let rule = fixed[name] {
                let t = threshold(values, rule: rule)
                fixedKept += values.reduce(0) { $0 + ($1 != 0 && abs($1) > t ? 1 : 0) }
            } else {
                free.append((values.map(abs).sorted(), std))
            }
        }
        func kept(_ q: Double) -> Int {
            free.reduce(fixedKept) { acc, layer in
                let t = Float(q * layer.1)
                // Count of sorted magnitudes strictly above t.
                var lo = 0, hi = layer.0.count
                while lo < hi { let mid = (lo + hi) / 2; if layer.0[mid] > t { hi = mid } else { lo = mid + 1 } }
                return acc + layer.0.count - lo
            }
        }
        let target = Int((density * Double(total)).rounded())
        var lo = 0.0, hi = 1.0
        while kept(hi) > target && hi < 1e6 { hi *= 2 }
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if kept(mid) > target { lo = mid } else { hi = mid }
        }
        return hi
    }
}
