import Foundation
import SqueezeContainer
import SqueezeModel
import SqueezeReconstruct
import SqueezeTrain

/// The whole pipeline from calibration images only: sensitivity and
/// allocation, output-aware pruning and weight sharing layer by layer, then
/// distillation fine-tuning of the centroids early-stopped on a held-back
/// calibration split. The teacher is always the input model.
public enum CompressPipeline {
    /// What decides each layer's density and bits.
    public enum Budget: Hashable, Sendable {
        /// The whole file at most this many bytes.
        case bytes(Int)
        /// The whole file at most the dense float32 weights' bytes over this.
        case ratio(Double)
        /// The smallest model whose top-1 disagrees with the teacher's on at
        /// most this fraction of the held-back split (before fine-tuning).
        case maxDisagreement(Double)
        /// Given per layer (unnamed layers keep their weights).
        case plan([String: LayerCompressor.Options])
    }

    /// How the pipeline runs.
    public struct Options: Sendable {
        /// Images the layer statistics come from.
        public var reconstructionImages = 128
        /// Images of the held-back split each sensitivity point is measured on.
        public var sensitivityImages = 64
        /// The sensitivity grid.
        public var densities = Allocation.defaultDensities
        /// The bits grid (fractional: codebooks between powers of two).
        public var bits = Allocation.defaultBits
        /// How the container is written (what bytes are counted with).
        public var container = ContainerOptions()
        /// The metadata written with the model (counted in the budget).
        public var metadata = ContainerMetadata()
        /// Damping of each layer's Gram matrix (see `LayerCompressor.Options`).
        public var damping = 0.01
        /// Centroid refit rounds (see `LayerCompressor.Options`).
        public var refits = 5
        /// Entropy-constrained sharing (see `LayerCompressor.Options.rateWeight`):
        /// above 0 the sensitivity grid also tries points at this rate weight.
        public var rateWeight = 0.0
        /// How layers are compressed (output-aware, or the magnitude baseline).
        public var method: LayerCompressor.Method = .outputAware
        /// Sensitivity curves measured before (for the same model, method and
        /// held-back images), reused instead of measured again.
        public var curves: [Allocation.Curve]?
        /// Distillation fine-tuning of the centroids (nil or 0 epochs: none);
        /// the epoch with the lowest held-back divergence is kept.
        public var finetune: Retraining?

        /// Defaults.
        public init() {}
    }

    /// The outcome.
    public struct Outcome: Sendable {
        /// The compressed model.
        public var model: Model
        /// Its container.
        public var encoding: SqueezeContainer.Encoding
        /// The metadata written (the input's plus the compression history).
        public var metadata: ContainerMetadata
        /// Per layer, the chosen point (with the sensitivity's bytes and damage).
        public var choices: [String: Allocation.Point]
        /// The sensitivity curves (empty with a given plan).
        public var curves: [Allocation.Curve]
        /// Per layer, what reconstruction did.
        public var layers: [ReconstructionStage.LayerResult]
        /// Held-back agreement after reconstruction.
        public var reconstructed: TeacherAgreement.Measurement
        /// The model after reconstruction, before fine-tuning.
        public var reconstructedModel: Model
        /// Per fine-tuning epoch, held-back agreement.
        public var finetuned: [TeacherAgreement.Measurement]
        /// Fine-tuning epochs.
        public var epochs: [EpochSummary]
    }

    /// Compresses `teacher` within `budget`.
    ///
    /// - Parameters:
    ///   - calibration: images statistics and fine-tuning learn from.
    ///   - held: the held-back calibration images choices are judged on.
    public static func run(_ teacher: Model, calibration: TrainingData, held: TrainingData, budget: Budget,
                           options: Options = Options(), threads: Int, observer: StageObserver = .silent) throws -> Outcome {
        try StageSupport.checkMemory(of: teacher, work: "compression", perWeight: 48)
        observer.phase("load calibration images", 0)
        let images = try CalibrationSet(calibration, limit: options.reconstructionImages)
        let heldImages = try CalibrationSet(held, limit: options.sensitivityImages)
        observer.finish()
        let agreement = try TeacherAgreement(teacher: teacher, images: heldImages, threads: threads)
        // The whole held-back split judges the result and stops fine-tuning.
        let judge = held.samples.count > heldImages.count
            ? try TeacherAgreement(teacher: teacher, images: try CalibrationSet(held, limit: 1024), threads: threads) : agreement
        let overhead = try SqueezeContainer.encode(teacher, metadata: options.metadata, options: options.container).overheadBytes
        var curves: [Allocation.Curve] = []
        let weighted = teacher.network.weightedLayers

        func reconstruct(_ plan: [String: LayerCompressor.Options], note: String = "") throws -> ReconstructionStage.Outcome {
            var noted = observer
            let phase = observer.phase
            noted.phase = { title, total in phase(title + note, total) }
            return try ReconstructionStage.run(teacher, plan: plan, images: images, threads: threads, observer: noted)
        }
        func plan(of choice: [String: Allocation.Point]) -> [String: LayerCompressor.Options] {
            choice.mapValues {
                var o = LayerCompressor.Options(density: $0.density, bits: $0.bits, damping: options.damping, refits: options.refits,
                                                method: options.method)
                o.centroids = $0.centroids
                o.rateWeight = $0.rateWeight ?? 0
                return o
            }
        }
        func sensitivity() throws -> [Allocation.Curve] {
            if let given = options.curves { return given }
            return try Allocation.sensitivity(teacher, densities: options.densities, bits: options.bits,
                                              statisticsImages: images, agreement: agreement, method: options.method,
                                              rateWeight: options.rateWeight,
                                              options: options.container, threads: threads, observer: observer)
        }
        // The file as it will be written, its history of choices included.
        func size(_ model: Model, _ choice: [String: Allocation.Point]) throws -> Int {
            try SqueezeContainer.encode(model, metadata: history(options.metadata, plan: choice, model: model, options: options,
                                                                 budget: budget),
                                        options: options.container).bytes.count
        }

        var choice: [String: Allocation.Point] = [:]
        var result: ReconstructionStage.Outcome
        switch budget {
        case .plan(let given):
            result = try reconstruct(given)
            for (name, o) in given {
                choice[name] = Allocation.Point(density: o.density, bits: o.bits ?? 0, centroids: o.centroids, bytes: 0,
                                                divergence: .nan, agreement: .nan, rateWeight: o.rateWeight)
            }
        case .bytes, .ratio:
            curves = try sensitivity()
            let target: Int
            if case .bytes(let b) = budget { target = b } else if case .ratio(let r) = budget {
                let dense = teacher.parameters.values.reduce(0) { $0 + 4 * ($1.weights.elementCount + $1.bias.count) }
                target = Int(Double(dense) / r)
            } else { target = 0 }
            // The sensitivity's bytes are each layer compressed alone; the layers compressed
            // in sequence code a little differently, so overshoots shrink the budget again.
            var layerBudget = target - overhead - 64 * weighted.count
            var attempt = 0
            var note = ""
            while true {
                guard let c = Allocation.allocate(curves, budget: layerBudget) else { throw CompressError.budgetTooSmall(target) }
                choice = c
                result = try reconstruct(plan(of: choice), note: note)
                let bytes = try size(result.model, choice)
                note = " (allocation \(attempt + 2) of at most 6: the last came to \(bytes) bytes)"
                attempt += 1
                if bytes <= target { break }
                guard attempt < 6 else { throw CompressError.budgetNotMet(target: target, reached: bytes) }
                layerBudget -= (bytes - target) * 5 / 4 + 512
            }
        case .maxDisagreement(let p):
            curves = try sensitivity()
            let smallest = curves.reduce(0) { $0 + ($1.points.map(\.bytes).min() ?? 0) }
            let largest = curves.reduce(0) { $0 + ($1.points.map(\.bytes).max() ?? 0) }
            var lo = smallest, hi = largest
            var best: (ReconstructionStage.Outcome, [String: Allocation.Point])?
            for _ in 0..<6 {
                let mid = (lo + hi) / 2
                guard let c = Allocation.allocate(curves, budget: mid) else { lo = mid; continue }
                let r = try reconstruct(plan(of: c))
                let m = try judge.measure(r.model, threads: threads)
                if 1 - m.agreement <= p { best = (r, c); hi = mid } else { lo = mid }
            }
            if best == nil, let c = Allocation.allocate(curves, budget: largest) { best = (try reconstruct(plan(of: c)), c) }
            guard let best else { throw CompressError.budgetTooSmall(largest) }
            (result, choice) = best
        }

        var model = result.model
        let reconstructed = try judge.measure(model, threads: threads)
        var finetuned: [TeacherAgreement.Measurement] = []
        var epochs: [EpochSummary] = []
        if let finetune = options.finetune, finetune.options.epochs > 0,
           weighted.allSatisfy({ model.parameters[$0.name]?.weights.isShared == true }) {
            var best = (reconstructed.divergence, model)
            var settings = finetune.options
            let total = settings.epochs
            settings.epochs = 1
            let parameters = try TrainableParameters(model: model, target: .centroids)
            for epoch in 1...total {
                settings.seed = finetune.options.seed &+ UInt64(epoch)
                let summary = try StageSupport.train(parameters, Retraining(data: finetune.data, options: settings), teacher: teacher,
                                                     title: "fine-tune centroids \(epoch)/\(total)", observer: observer)
                epochs += summary.map { var s = $0; s.epoch = epoch; return s }
                let tuned = parameters.model
                let m = try judge.measure(tuned, threads: threads)
                finetuned.append(m)
                if m.divergence < best.0 { best = (m.divergence, tuned) }
                settings.learningRate *= finetune.options.learningRateDecay
            }
            model = best.1
        }
        let metadata = history(options.metadata, plan: choice, model: model, options: options, budget: budget)
        let encoding = try SqueezeContainer.encode(model, metadata: metadata, options: options.container)
        return Outcome(model: model, encoding: encoding, metadata: metadata, choices: choice, curves: curves,
                       layers: result.layers, reconstructed: reconstructed, reconstructedModel: result.model,
                       finetuned: finetuned, epochs: epochs)
    }

    /// `metadata` with one `compression.history` entry per stage `compress`
    /// ran (appended to any the input carried): the allocation (budget and
    /// grid), the reconstruction (method, settings, each layer's density and
    /// centroids, `0` for a layer left float) and the fine-tuning settings.
    /// Only choices, no measurements, so the budget check sees the final bytes.
    static func history(_ metadata: ContainerMetadata, plan: [String: Allocation.Point], model: Model, options: Options,
                        budget: Budget) -> ContainerMetadata {
        var m = metadata
        var layers: [String: Any] = [:]
        for layer in model.network.weightedLayers {
            guard let point = plan[layer.name] else { continue }
            var entry: [String: Any] = ["density": (point.density * 1000).rounded() / 1000,
                                        "centroids": point.bits == 0 ? 0 : point.centroids ?? 1 << point.bits]
            if let rate = point.rateWeight, rate > 0 { entry["rate_weight"] = rate }
            layers[layer.name] = entry
        }
        var stages: [[String: Any]] = []
        switch budget {
        case .bytes(let b):
            stages.append(allocation(["target_bytes": b], options))
        case .ratio(let r):
            stages.append(allocation(["target_ratio": r], options))
        case .maxDisagreement(let p):
            stages.append(allocation(["max_disagreement": p], options))
        case .plan:
            break
        }
        stages.append(["stage": "reconstruct",
                       "parameters": ["method": options.method.rawValue, "images": options.reconstructionImages,
                                      "damping": options.damping, "refits": options.refits, "layers": layers] as [String: Any]])
        if let f = options.finetune, f.options.epochs > 0 {
            stages.append(["stage": "finetune",
                           "parameters": ["target": "centroids", "loss": "distillation", "epochs": f.options.epochs,
                                          "optimizer": f.options.optimizer.rawValue, "lr": Double(f.options.learningRate),
                                          "lr_decay": Double(f.options.learningRateDecay), "batch": f.options.batchSize,
                                          "kept": "the epoch of least held-back KL"] as [String: Any]])
        }
        var entries: [String] = []
        if case .strings(let earlier)? = m[MetadataKeys.history] { entries = earlier }
        for stage in stages {
            guard let data = try? JSONSerialization.data(withJSONObject: stage, options: [.sortedKeys]),
                  let text = String(data: data, encoding: .utf8) else { continue }
            entries.append(text)
        }
        m[MetadataKeys.history] = .strings(entries)
        return m
    }

    private static func allocation(_ budget: [String: Any], _ options: Options) -> [String: Any] {
        ["stage": "allocate",
         "parameters": budget.merging(["densities": options.densities, "bits": options.bits, "rate_weight": options.rateWeight,
                                       "sensitivity_images": options.sensitivityImages]) { a, _ in a }]
    }
}

/// Why the compression pipeline stopped.
public enum CompressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Even the smallest point of every layer exceeds the budget.
    case budgetTooSmall(Int)
    /// Six allocations in a row came out above the budget.
    case budgetNotMet(target: Int, reached: Int)

    /// One line.
    public var description: String {
        switch self {
        case .budgetTooSmall(let bytes): "compress: no choice of densities and bits fits \(bytes) bytes (widen the grid or raise the budget)"
        case .budgetNotMet(let target, let reached):
            "compress: after 6 allocations the model is still \(reached) bytes, above \(target) (raise the budget or widen the grid)"
        }
    }
}
