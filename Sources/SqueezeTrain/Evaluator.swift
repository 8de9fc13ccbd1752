import SqueezeModel
import Dispatch
import Foundation
import SqueezeData
import SqueezeKernels

/// Accuracy of a model on a sample set.
public struct AccuracyResult: Codable, Hashable, Sendable {
    /// The number of samples.
    public var samples: Int
    /// Samples whose top class is the label.
    public var top1Hits: Int
    /// Samples whose label is among the five best classes.
    public var top5Hits: Int
    /// Wall-clock seconds.
    public var seconds: Double

    /// Top-1 accuracy.
    public var top1: Double { samples > 0 ? Double(top1Hits) / Double(samples) : 0 }
    /// Top-5 accuracy.
    public var top5: Double { samples > 0 ? Double(top5Hits) / Double(samples) : 0 }

    /// An accuracy result.
    public init(samples: Int, top1Hits: Int, top5Hits: Int, seconds: Double) {
        self.samples = samples
        self.top1Hits = top1Hits
        self.top5Hits = top5Hits
        self.seconds = seconds
    }

    private enum CodingKeys: String, CodingKey { case samples, top1Hits, top5Hits, seconds, top1, top5 }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(samples: try c.decode(Int.self, forKey: .samples), top1Hits: try c.decode(Int.self, forKey: .top1Hits),
                  top5Hits: try c.decode(Int.self, forKey: .top5Hits), seconds: try c.decode(Double.self, forKey: .seconds))
    }

    /// Encodes the counts and, for readers, the two accuracies.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(samples, forKey: .samples)
        try c.encode(top1Hits, forKey: .top1Hits)
        try c.encode(top5Hits, forKey: .top5Hits)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(top1, forKey: .top1)
        try c.encode(top5, forKey: .top5)
    }
}

/// Measures accuracy with the training graph's forward pass (Dropout off), in
/// batches spread over threads; used between training stages, where building an
/// inference program for every candidate would cost more than the pass itself.
public enum Evaluator {
    /// Top-1 and top-5 accuracy of `parameters` on every sample; with
    /// `references`, against those classes (a teacher's top-1 for unlabelled
    /// samples: agreement) instead of the samples' labels.
    public static func accuracy(of parameters: TrainableParameters, on samples: some SampleSet, references: [Int]? = nil,
                                batchSize: Int = 32, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                memoryLimit: MemoryLimit = .current,
                                progress: (@Sendable (Int) -> Void)? = nil) throws(TrainingError) -> AccuracyResult {
        if let references, references.count != samples.count {
            throw .dataMismatch("\(references.count) reference classes for \(samples.count) samples")
        }
        return try run(parameters, on: samples, batchSize: batchSize, threads: threads, memoryLimit: memoryLimit,
                       progress: progress) { index, row, classes in
            let label = references?[index] ?? samples.label(at: index)
            guard (0..<classes).contains(label) else { return (false, false) }
            let better = (0..<classes).reduce(0) { $0 + (row[$1] > row[label] ? 1 : 0) }
            return (better == 0, better < 5)
        }
    }

    /// The top class of `parameters` for every sample (the first of equals).
    public static func topClasses(of parameters: TrainableParameters, on samples: some SampleSet,
                                  batchSize: Int = 32, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                  memoryLimit: MemoryLimit = .current,
                                  progress: (@Sendable (Int) -> Void)? = nil) throws(TrainingError) -> [Int] {
        let classes = Classes(count: samples.count)
        _ = try run(parameters, on: samples, batchSize: batchSize, threads: threads, memoryLimit: memoryLimit,
                    progress: progress) { index, row, count in
            classes.set(index, (0..<count).reduce(0) { row[$1] > row[$0] ? $1 : $0 })
            return (false, false)
        }
        return classes.values
    }

    /// Runs every sample forward and scores each output row with `score`
    /// (sample index, logits, classes) -> (top-1 hit, top-5 hit).
    private static func run(_ parameters: TrainableParameters, on samples: some SampleSet, batchSize: Int, threads: Int,
                            memoryLimit: MemoryLimit, progress: (@Sendable (Int) -> Void)?,
                            score: @escaping @Sendable (Int, UnsafePointer<Float>, Int) -> (Bool, Bool))
        throws(TrainingError) -> AccuracyResult {
        guard (1...256).contains(threads) else { throw .invalidOption("--threads must be between 1 and 256") }
        let workers = max(1, min(threads, samples.count))
        let layout = try TrainingGraph.Layout(parameters: parameters, capacity: batchSize, forTraining: false)
        var estimate = MemoryEstimate("evaluation")
        estimate.add(layout.memory, times: workers)
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        var made: [TrainingGraph] = []
        for _ in 0..<workers { made.append(try TrainingGraph(layout: layout)) }
        let graphs = made
        try Trainer.check(samples, fits: graphs[0])
        let start = ContinuousClock.now
        let batches = (samples.count + batchSize - 1) / batchSize
        let tally = Tally()
        // Several workers: each GEMM single-threaded so the workers own the cores.
        BLAS.withThreadCount(workers > 1 ? 1 : nil) {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let graph = graphs[w]
                let size = graph.sampleShape.elementCount, classes = graph.classCount
                for b in stride(from: w, to: batches, by: workers) {
                    let range = (b * batchSize)..<min((b + 1) * batchSize, samples.count)
                    do throws(DataError) {
                        for (i, index) in range.enumerated() {
                            var none: SeededGenerator? = nil
                            try samples.load(index, random: &none,
                                             into: UnsafeMutableBufferPointer(rebasing: graph.input[(i * size)..<((i + 1) * size)]))
                        }
                    } catch {
                        tally.fail(error)
                        return
                    }
                    graph.forward(count: range.count)
                    var top1 = 0, top5 = 0
                    for (i, index) in range.enumerated() {
                        let (first, five) = score(index, graph.outputs.baseAddress! + i * classes, classes)
                        if first { top1 += 1 }
                        if five { top5 += 1 }
                    }
                    tally.add(range.count, top1, top5)
                    if w == 0 { progress?(tally.done) }
                }
            }
        }
        if let error = tally.error { throw .data(error) }
        let elapsed = ContinuousClock.now - start
        return AccuracyResult(samples: samples.count, top1Hits: tally.top1, top5Hits: tally.top5,
                              seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// Per-sample classes written by the evaluation's workers.
private final class Classes: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Int]

    init(count: Int) { values = Array(repeating: -1, count: count) }

    func set(_ index: Int, _ value: Int) {
        lock.lock(); defer { lock.unlock() }
        values[index] = value
    }
}

private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var done = 0, top1 = 0, top5 = 0
    private(set) var error: DataError?

    func add(_ n: Int, _ a: Int, _ b: Int) {
        lock.lock(); defer { lock.unlock() }
        done += n; top1 += a; top5 += b
    }

    func fail(_ e: DataError) {
        lock.lock(); defer { lock.unlock() }
        error = e
    }
}
