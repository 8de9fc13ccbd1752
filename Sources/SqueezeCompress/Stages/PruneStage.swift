import SqueezeModel
import SqueezePrune
import SqueezeTrain

/// Stage one of Deep Compression: threshold pruning, in one or several steps,
/// each followed by masked retraining (pruned weights stay exactly zero).
public enum PruneStage {
    /// What one pruning step did.
    public struct Step: Codable, Sendable {
        /// The step (from 1).
        public var step: Int
        /// Per layer, what pruning kept.
        public var layers: [Pruner.LayerResult]
        /// The fraction of all weights kept.
        public var density: Double
        /// Accuracy right after pruning, before retraining.
        public var accuracyPruned: AccuracyResult?
        /// Retraining epochs.
        public var epochs: [EpochSummary]
        /// Accuracy after retraining.
        public var accuracyRetrained: AccuracyResult?
    }

    /// The result of the stage.
    public struct Outcome: Sendable {
        /// The pruned (and retrained) model.
        public var model: Model
        /// Accuracy of the input model.
        public var accuracyBefore: AccuracyResult?
        /// Every step.
        public var steps: [Step]
    }

    /// Prunes `model` by `plan` in `steps` steps, retraining after each when
    /// `retraining` is given, and measuring accuracy on `evaluation`.
    ///
    /// The plan is validated before any work starts.
    public static func run(_ model: Model, plan: PruningPlan, steps: Int = 1, retraining: Retraining? = nil,
                           evaluation: TrainingData? = nil, threads: Int, observer: StageObserver = .silent) throws -> Outcome {
        try plan.validate(for: model)
        try StageSupport.checkMemory(of: model, work: "pruning", perWeight: 12)
        guard (1...100).contains(steps) else { throw TrainingError.invalidOption("--steps must be between 1 and 100, not \(steps)") }
        if let retraining { try retraining.options.validate() }
        let references = try StageSupport.references(of: model, on: evaluation, threads: threads, observer: observer)
        let before = try StageSupport.accuracy(of: model, on: evaluation, references: references, threads: threads, title: "evaluate input", observer: observer)
        var current = model
        var reports: [Step] = []
        for step in 1...steps {
            let (pruned, layers) = try Pruner.prune(current, plan: plan.step(step, of: steps))
            current = pruned
            let pruneAccuracy = try StageSupport.accuracy(of: current, on: evaluation, references: references, threads: threads,
                                                          title: "evaluate step \(step)", observer: observer)
            var epochs: [EpochSummary] = []
            var retrained: AccuracyResult?
            if let retraining {
                let parameters = try TrainableParameters(model: current, target: .weights)
                epochs = try StageSupport.train(parameters, retraining, teacher: model, title: "retrain step \(step)/\(steps)",
                                                observer: observer)
                current = parameters.model
                retrained = try StageSupport.accuracy(of: current, on: evaluation, references: references, threads: threads,
                                                      title: "evaluate retrained", observer: observer)
            }
            let kept = layers.reduce(0) { $0 + $1.keptAfter }, total = layers.reduce(0) { $0 + $1.weights }
            reports.append(Step(step: step, layers: layers, density: Double(kept) / Double(max(total, 1)),
                                accuracyPruned: pruneAccuracy, epochs: epochs, accuracyRetrained: retrained))
        }
        return Outcome(model: current, accuracyBefore: before, steps: reports)
    }
}
