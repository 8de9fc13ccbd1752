import SqueezeModel
import SqueezeQuantize
import SqueezeTrain

/// Stage two of Deep Compression: k-means weight sharing, then fine-tuning in
/// which each centroid moves by the summed gradient of the weights that share it
/// (indices fixed, pruned positions zero).
public enum QuantizeStage {
    /// The result of the stage.
    public struct Outcome: Sendable {
        /// The quantized (and fine-tuned) model.
        public var model: Model
        /// The model right after k-means, before fine-tuning.
        public var quantized: Model
        /// Per layer, what k-means did.
        public var layers: [Quantizer.LayerResult]
        /// Accuracy of the input model.
        public var accuracyInput: AccuracyResult?
        /// Accuracy right after k-means, before fine-tuning.
        public var accuracyQuantized: AccuracyResult?
        /// Accuracy after fine-tuning.
        public var accuracyFinetuned: AccuracyResult?
        /// Fine-tuning epochs.
        public var epochs: [EpochSummary]
        /// Per layer, the bias correction after k-means (empty without one).
        public var biasCorrections: [BiasCorrection.LayerResult] = []
        /// Every quantized layer's centroids after k-means.
        public var centroidsBefore: [String: [Float]]
        /// And after fine-tuning.
        public var centroidsAfter: [String: [Float]]
    }

    /// Quantizes `model` by `plan`, corrects the biases on `biasCorrection`'s
    /// images when given (see `BiasCorrection`), fine-tunes the centroids when
    /// `finetune` is given (distillation learns from the input model), and
    /// measures accuracy on `evaluation` at each point. The plan is validated
    /// before any work.
    public static func run(_ model: Model, plan: QuantizationPlan, initialization: CentroidInitialization = .linear,
                           seed: UInt64 = 1, biasCorrection: TrainingData? = nil, biasImages: Int = 256,
                           finetune: Retraining? = nil, evaluation: TrainingData? = nil,
                           threads: Int, observer: StageObserver = .silent) throws -> Outcome {
        let bits = try plan.bits(for: model)
        try StageSupport.checkMemory(of: model, work: "quantization", perWeight: 12)
        guard !bits.isEmpty else { throw QuantizeError.invalidBits("no layer (give --bits or --layer-bits)", 0) }
        if let finetune {
            try finetune.options.validate()
            // Centroid fine-tuning needs every layer weight-shared; say so before any work.
            for layer in model.network.weightedLayers where bits[layer.name] == nil {
                if model.parameters[layer.name]?.weights.isShared != true { throw TrainingError.notQuantized(layer: layer.name) }
            }
        }
        let references = try StageSupport.references(of: model, on: evaluation, threads: threads, observer: observer)
        let input = try StageSupport.accuracy(of: model, on: evaluation, references: references, threads: threads, title: "evaluate input", observer: observer)
        observer.phase("k-means", bits.count)
        var (quantized, layers) = try Quantizer.quantize(model, plan: plan, initialization: initialization, seed: seed)
        observer.finish()
        var corrections: [BiasCorrection.LayerResult] = []
        if let biasCorrection {
            let corrected = try BiasCorrection.run(quantized, reference: model, data: biasCorrection, images: biasImages,
                                                   threads: threads, observer: observer)
            quantized = corrected.model
            corrections = corrected.layers
        }
        let before = Self.codebooks(quantized, layers: Set(bits.keys))
        let atQuantized = try StageSupport.accuracy(of: quantized, on: evaluation, references: references, threads: threads,
                                                    title: "evaluate quantized", observer: observer)
        guard let finetune, finetune.options.epochs > 0 else {
            return Outcome(model: quantized, quantized: quantized, layers: layers, accuracyInput: input, accuracyQuantized: atQuantized,
                           accuracyFinetuned: nil, epochs: [], biasCorrections: corrections, centroidsBefore: before,
                           centroidsAfter: before)
        }
        let parameters = try TrainableParameters(model: quantized, target: .centroids)
        let epochs = try StageSupport.train(parameters, finetune, teacher: model, title: "fine-tune centroids",
                                            observer: observer)
        let tuned = parameters.model
        let after = try StageSupport.accuracy(of: tuned, on: evaluation, references: references, threads: threads,
                                              title: "evaluate fine-tuned", observer: observer)
        return Outcome(model: tuned, quantized: quantized, layers: layers, accuracyInput: input, accuracyQuantized: atQuantized,
                       accuracyFinetuned: after, epochs: epochs, biasCorrections: corrections, centroidsBefore: before,
                       centroidsAfter: Self.codebooks(tuned, layers: Set(bits.keys)))
    }

    static func codebooks(_ model: Model, layers: Set<String>) -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for name in layers {
            if case .shared(let codebook, _, _)? = model.parameters[name]?.weights.storage { result[name] = codebook }
        }
        return result
    }
}
