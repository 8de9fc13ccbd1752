import SqueezeModel
import SqueezePrune
import SqueezeTrain

/// How accuracy falls as each layer alone is pruned harder (no retraining): the
/// analysis Han et al. use to choose per-layer thresholds.
public enum SensitivityStage {
    /// One layer's curve.
    public struct Curve: Codable, Sendable {
        /// The layer's name.
        public var layer: String
        /// The densities tried, descending.
        public var densities: [Double]
        /// Top-1 accuracy at each density.
        public var top1: [Double]
        /// Top-5 accuracy at each density.
        public var top5: [Double]
    }

    /// The whole analysis.
    public struct Outcome: Codable, Sendable {
        /// Accuracy of the unpruned model.
        public var baselineTop1: Double
        /// Top-5 of the unpruned model.
        public var baselineTop5: Double
        /// The number of samples each point was measured on.
        public var samples: Int
        /// One curve per layer, in network order.
        public var curves: [Curve]
    }

    /// Measures accuracy on `data` with each of `layers` (default: all weighted
    /// layers) pruned to each of `densities`, the other layers untouched.
    public static func run(_ model: Model, data: TrainingData, densities: [Double], layers: [String]? = nil,
                           threads: Int, observer: StageObserver = .silent) throws -> Outcome {
        let known = model.network.weightedLayers.map(\.name)
        let names = layers ?? known
        for name in names where !known.contains(name) { throw PruneError.unknownLayer(name, known: known) }
        for d in densities where !(d.isFinite && (0...1).contains(d)) { throw PruneError.invalidDensity("a sensitivity point", d) }
        guard !densities.isEmpty else { throw PruneError.invalidDensity("no point", .nan) }
        try StageSupport.checkMemory(of: model, work: "the sensitivity analysis", perWeight: 12)
        let references = try StageSupport.references(of: model, on: data, threads: threads, observer: observer)
        let baseline = try StageSupport.accuracy(of: model, on: data, references: references, threads: threads, title: "baseline", observer: observer)!
        var curves: [Curve] = []
        for name in names {
            var curve = Curve(layer: name, densities: densities.sorted(by: >), top1: [], top5: [])
            for d in curve.densities {
                let (pruned, _) = try Pruner.prune(model, plan: PruningPlan(layers: [name: .density(d)]))
                let result = try StageSupport.accuracy(of: pruned, on: data, references: references, threads: threads,
                                                       title: "\(name) at \(Int((d * 100).rounded()))%", observer: observer)!
                curve.top1.append(result.top1)
                curve.top5.append(result.top5)
            }
            curves.append(curve)
        }
        return Outcome(baselineTop1: baseline.top1, baselineTop5: baseline.top5, samples: data.samples.count, curves: curves)
    }
}
