import ArgumentParser
import Foundation
import SqueezeCompress

extension Optimizer: ExpressibleByArgument {}

/// How retraining, fine-tuning and training from scratch run.
struct TrainingOptionGroup: ParsableArguments {
    enum LossChoice: String, ExpressibleByArgument, CaseIterable {
        case labels, distill
    }

    @Option(help: "Passes over the training data.")
    var epochs: Int = 1

    @Option(help: "Images per SGD step.")
    var batch: Int = 32

    @Option(help: "Learning rate.")
    var lr: Float = 0.01

    @Option(help: "Multiply the learning rate by this after every epoch (0 < d <= 1).")
    var lrDecay: Float = 1

    @Option(help: "Update rule: sgd (momentum, L2 weight decay) or adam (decoupled weight decay).")
    var optimizer: Optimizer = .sgd

    @Option(help: "SGD momentum (adam: the first-moment decay).")
    var momentum: Float = 0.9

    @Option(help: "L2 weight decay on weights.")
    var weightDecay: Float = 5e-4

    @Option(help: "Seed for shuffling, initialisation, dropout and augmentation.")
    var seed: UInt64 = 1

    @Flag(help: "No random crops or mirrors.")
    var noAugment = false

    @Flag(help: "Dropout layers keep everything while training (suits distillation).")
    var noDropout = false

    @Option(help: ArgumentHelp("Hold out every k-th sample of the data for testing (0: no split).", valueName: "k"))
    var holdout: Int = 0

    func validate() throws {
        guard holdout == 0 || (2...1000).contains(holdout) else {
            throw ValidationError("--holdout must be 0 or between 2 and 1000, got \(holdout)")
        }
        try options(loss: .crossEntropy, threads: 1).validate()
    }

    func options(loss: LossFunction, threads: Int) -> TrainingOptions {
        TrainingOptions(epochs: epochs, batchSize: batch, learningRate: lr, learningRateDecay: lrDecay, momentum: momentum,
                        weightDecay: weightDecay, loss: loss, augment: !noAugment, dropout: !noDropout, seed: seed,
                        threads: threads, optimizer: optimizer)
    }

    /// The training part of `path` and, with a hold-out split, its test part;
    /// images preprocessed as `preprocessing` says (the model's).
    func data(_ path: String, preprocessing: Preprocessing = .caffeImageNet) throws -> (train: TrainingData, test: TrainingData?) {
        if holdout >= 2 {
            return (try TrainingData.open(path, holdout: holdout, split: .train, preprocessing: preprocessing),
                    try TrainingData.open(path, holdout: holdout, split: .test, preprocessing: preprocessing))
        }
        return (try TrainingData.open(path, preprocessing: preprocessing), nil)
    }
}

/// The loss for retraining a compressed model.
struct RetrainLossOptions: ParsableArguments {
    @Option(help: "Retraining loss: distill (match the input model's outputs; no labels needed) or labels.")
    var loss: TrainingOptionGroup.LossChoice = .distill

    @Option(help: "Distillation temperature.")
    var temperature: Float = 2

    var function: LossFunction {
        loss == .labels ? .crossEntropy : .distillation(temperature: temperature)
    }

    func validate() throws {
        guard temperature.isFinite, temperature > 0, temperature <= 100 else {
            throw ValidationError("--temperature must be in (0, 100], got \(temperature)")
        }
    }
}

/// Checks, before any work, that an output file can be written where asked.
enum OutputPath {
    static func check(_ path: String, option: String = "--output") throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): its folder does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw ValidationError("\(option) \(path): its folder is not writable")
        }
    }
}

/// Parses `name=value,name=value` lists.
enum KeyValueList {
    static func parse<T>(_ text: String, option: String, value: (String) -> T?) throws -> [String: T] {
        var result: [String: T] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let v = value(parts[1]) else {
                throw ValidationError("\(option): '\(item)' is not name=value")
            }
            guard result[parts[0]] == nil else { throw ValidationError("\(option): '\(parts[0])' is given twice") }
            result[parts[0]] = v
        }
        guard !result.isEmpty else { throw ValidationError("\(option) is empty") }
        return result
    }
}

/// Draws one progress bar per phase of a stage, with loss and accuracy while training.
final class StageProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var bar: ProgressBar?
    private let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    var observer: StageObserver {
        StageObserver(
            phase: { [self] title, total in
                lock.withLock { bar = ProgressBar(title, total: total, quiet: quiet) }
            },
            training: { [self] p in
                let bar = lock.withLock { self.bar }
                bar?.update((p.epoch - 1) * p.total + p.done,
                            status: String(format: "epoch %d/%d loss %.4f acc %.3f", p.epoch, p.epochs, p.loss, p.accuracy))
            },
            advance: { [self] done in lock.withLock { self.bar }?.update(done) },
            finish: { [self] in lock.withLock { self.bar }?.finish() })
    }
}

/// Text for accuracy figures.
func describe(_ a: AccuracyResult?) -> String {
    guard let a else { return "-" }
    return String(format: "top-1 %.4f  top-5 %.4f  (%d samples)", a.top1, a.top5, a.samples)
}
