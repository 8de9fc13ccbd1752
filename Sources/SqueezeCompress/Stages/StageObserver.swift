import SqueezeModel
import SqueezeTrain

/// Callbacks through which long stages report progress (the CLI draws bars).
public struct StageObserver: Sendable {
    /// A new phase starts: its title and the number of items it will count.
    public var phase: @Sendable (_ title: String, _ total: Int) -> Void
    /// Training progress within the current phase.
    public var training: @Sendable (TrainingProgress) -> Void
    /// Items done in the current phase (evaluation images).
    public var advance: @Sendable (_ done: Int) -> Void
    /// The current phase ended.
    public var finish: @Sendable () -> Void

    /// An observer.
    public init(phase: @escaping @Sendable (String, Int) -> Void = { _, _ in },
                training: @escaping @Sendable (TrainingProgress) -> Void = { _ in },
                advance: @escaping @Sendable (Int) -> Void = { _ in },
                finish: @escaping @Sendable () -> Void = {}) {
        self.phase = phase
        self.training = training
        self.advance = advance
        self.finish = finish
    }

    /// Reports nothing.
    public static let silent = StageObserver()
}

/// Retraining between or after compression steps: the data and how to train.
public struct Retraining: Sendable {
    /// The training samples.
    public var data: TrainingData
    /// Epochs, learning rate, loss, threads...
    public var options: TrainingOptions

    /// A retraining setup.
    public init(data: TrainingData, options: TrainingOptions) {
        self.data = data
        self.options = options
    }
}

/// Shared steps of the stages: accuracy measurement and (re)training with progress.
enum StageSupport {
    /// Refuses a stage that rewrites every layer's weights when they would not
    /// fit `memoryLimit`: the input and the result held together, `perWeight`
    /// bytes per weight, plus the largest layer's dense working copies.
    static func checkMemory(of model: Model, work: String, perWeight: Int, memoryLimit: MemoryLimit = .current) throws {
        var estimate = MemoryEstimate(work)
        let total = model.parameters.values.reduce(0) { Checked.saturatingAdd($0, $1.weights.elementCount) }
        estimate.add("the weights before and after", count: total, elementBytes: perWeight)
        if let (name, largest) = model.parameters.max(by: { $0.value.weights.elementCount < $1.value.weights.elementCount }) {
            estimate.add("working copies of layer '\(name)'", count: largest.weights.elementCount, elementBytes: 12)
        }
        try memoryLimit.check(estimate)
    }

    /// Top-1/top-5 on `data`: accuracy when it is labelled, else agreement
    /// with `references` (the uncompressed model's top classes, from
    /// `references(of:on:)`).
    static func accuracy(of model: Model, on data: TrainingData?, references: [Int]? = nil, threads: Int, title: String,
                         observer: StageObserver) throws -> AccuracyResult? {
        guard let data else { return nil }
        let parameters = try TrainableParameters(model: model, target: .weights)
        observer.phase(title, data.samples.count)
        defer { observer.finish() }
        return try Evaluator.accuracy(of: parameters, on: data.samples, references: data.isLabelled ? nil : references,
                                      batchSize: batchSize(data), threads: threads, progress: observer.advance)
    }

    /// The teacher's top class per sample of unlabelled `data` (nil for
    /// labelled data or none): what agreement is measured against.
    static func references(of teacher: Model, on data: TrainingData?, threads: Int,
                           observer: StageObserver) throws -> [Int]? {
        guard let data, !data.isLabelled else { return nil }
        let parameters = try TrainableParameters(model: teacher, target: .weights)
        observer.phase("teacher's classes", data.samples.count)
        defer { observer.finish() }
        return try Evaluator.topClasses(of: parameters, on: data.samples, batchSize: batchSize(data), threads: threads,
                                        progress: observer.advance)
    }

    private static func batchSize(_ data: TrainingData) -> Int { data.samples.sampleCount > 10_000 ? 4 : 64 }

    static func train(_ parameters: TrainableParameters, _ retraining: Retraining, teacher: Model?, title: String,
                      observer: StageObserver) throws -> [EpochSummary] {
        guard retraining.options.epochs > 0 else { return [] }
        var teacherParameters: TrainableParameters?
        if case .distillation = retraining.options.loss, let teacher {
            teacherParameters = try TrainableParameters(model: teacher, target: .weights)
        }
        let trainer = try Trainer(parameters: parameters, options: retraining.options, teacher: teacherParameters)
        observer.phase(title, retraining.data.samples.count * retraining.options.epochs)
        defer { observer.finish() }
        return try trainer.train(on: retraining.data.samples) { observer.training($0) }
    }
}
