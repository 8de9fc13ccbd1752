import ArgumentParser
import Foundation
import SqueezeCompress

/// How `compress` and `sweep` learn from calibration images: the split, the
/// sensitivity grid, reconstruction and centroid fine-tuning.
struct CalibrationOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Unlabelled calibration images (a JPEG folder).", valueName: "dir"))
    var calibration: String

    @Option(help: ArgumentHelp("Hold back every k-th calibration image to judge choices on.", valueName: "k"))
    var holdout: Int = 10

    @Option(help: "Calibration images the layer statistics come from.")
    var images = 128

    @Option(help: "Held-back images each sensitivity point is measured on.")
    var sensitivityImages = 64

    @Option(help: "Damping of each layer's input Gram matrix, as a fraction of its mean diagonal.")
    var damping = 0.01

    @Option(help: "Rounds of reassigning weights to centroids and refitting the centroids by least squares.")
    var refits = 5

    @Option(help: ArgumentHelp("Densities the sensitivity grid tries.", valueName: "d,d,..."))
    var densities = "1,0.7,0.5,0.35"

    @Option(help: ArgumentHelp("Bits per weight the sensitivity grid tries; b between powers of two means round(2^b) centroids.",
                               valueName: "b,b,..."))
    var bitsGrid = "3,3.5,4,4.5,5,6"

    @Option(help: "Epochs of centroid fine-tuning by distillation (0: none); the best epoch on the held-back split is kept.")
    var epochs = 0

    @Option(help: ArgumentHelp("Entropy-constrained sharing: a weight's centroid trades output error against its code's length in bits at this many times the mean error per weight (0: nearest centroid). With a budget the grid adds such points, unpruned at 4 bits or more; a fixed plan uses it for every layer.", valueName: "w"))
    var rateWeight = 0.0

    @Option(help: "Fine-tuning update rule: adam (a step per centroid independent of how many weights share it) or sgd.")
    var optimizer: Optimizer = .sgd

    @Option(help: "Fine-tuning learning rate (sgd: a centroid's gradient sums over every weight that shares it, so it is small).")
    var lr: Float = 1.5e-5

    @Option(help: "Multiply the learning rate by this after every epoch.")
    var lrDecay: Float = 0.8

    @Option(help: "Images per fine-tuning step.")
    var batch = 32

    @Option(help: "Distillation temperature.")
    var temperature: Float = 1

    @Option(help: "Seed for shuffling and augmentation.")
    var seed: UInt64 = 1

    func validate() throws {
        guard (2...1000).contains(holdout) else { throw ValidationError("--holdout must be between 2 and 1000, got \(holdout)") }
        guard (1...100_000).contains(images) else { throw ValidationError("--images must be between 1 and 100000, got \(images)") }
        guard (1...100_000).contains(sensitivityImages) else {
            throw ValidationError("--sensitivity-images must be between 1 and 100000, got \(sensitivityImages)")
        }
        guard damping.isFinite, damping > 0, damping <= 100 else { throw ValidationError("--damping must be in (0, 100], got \(damping)") }
        guard rateWeight.isFinite, (0...100).contains(rateWeight) else {
            throw ValidationError("--rate-weight must be between 0 and 100, got \(rateWeight)")
        }
        guard (0...20).contains(refits) else { throw ValidationError("--refits must be between 0 and 20, got \(refits)") }
        guard (0...1000).contains(epochs) else { throw ValidationError("--epochs must be between 0 and 1000, got \(epochs)") }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be positive, got \(lr)") }
        guard lrDecay.isFinite, lrDecay > 0, lrDecay <= 1 else { throw ValidationError("--lr-decay must be in (0, 1], got \(lrDecay)") }
        guard temperature.isFinite, temperature > 0, temperature <= 100 else {
            throw ValidationError("--temperature must be in (0, 100], got \(temperature)")
        }
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be between 1 and 4096, got \(batch)") }
        _ = try grid()
    }

    /// The sensitivity grid.
    func grid() throws -> (densities: [Double], bits: [Double]) {
        (try Self.parseList(densities, option: "--densities") { Double($0).flatMap { $0 > 0 && $0 <= 1 ? $0 : nil } },
         try Self.parseList(bitsGrid, option: "--bits-grid") { Double($0).flatMap { $0.isFinite && $0 >= 1 && $0 <= 16 ? $0 : nil } })
    }

    /// A non-empty comma-separated list whose every item `value` accepts.
    static func parseList<T>(_ text: String, option: String, value: (String) -> T?) throws -> [T] {
        let list = try text.split(separator: ",").map { item -> T in
            guard let v = value(item.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(option): '\(item)' is not an accepted value")
            }
            return v
        }
        guard !list.isEmpty else { throw ValidationError("\(option) is empty") }
        return list
    }

    /// The calibration images that teach and the held-back ones that judge,
    /// preprocessed as the model's metadata says.
    func data(_ preprocessing: Preprocessing) throws -> (train: TrainingData, held: TrainingData) {
        (try TrainingData.open(calibration, holdout: holdout, split: .train, preprocessing: preprocessing),
         try TrainingData.open(calibration, holdout: holdout, split: .test, preprocessing: preprocessing))
    }

    /// A layer's options with this group's damping, refits and rate weight.
    func layerOptions(density: Double, bits: Int?) -> LayerCompressor.Options {
        var options = LayerCompressor.Options(density: density, bits: bits, damping: damping, refits: refits)
        options.rateWeight = rateWeight
        return options
    }

    /// The pipeline's options (the container and metadata are the caller's).
    func pipelineOptions(finetuningOn train: TrainingData, threads: Int) throws -> CompressPipeline.Options {
        var options = CompressPipeline.Options()
        options.reconstructionImages = images
        options.sensitivityImages = sensitivityImages
        options.damping = damping
        options.refits = refits
        options.rateWeight = rateWeight
        (options.densities, options.bits) = try grid()
        if epochs > 0 {
            options.finetune = Retraining(data: train, options: TrainingOptions(
                epochs: epochs, batchSize: batch, learningRate: lr, learningRateDecay: lrDecay, loss: .distillation(temperature: temperature),
                augment: true, dropout: false, seed: seed, threads: threads, optimizer: optimizer))
        }
        return options
    }
}
