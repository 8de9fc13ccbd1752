import Foundation
import SqueezeExecutor
import SqueezeImage
import SqueezeModel

/// Classifies JPEG images, and scores labelled image sets, with one model.
public struct ImageClassifier: Sendable {
    /// Makes the engines that run the model (one per thread).
    public let factory: any InferenceEngineFactory
    /// Whether the network's output already is a probability distribution.
    public let outputIsProbability: Bool
    /// How images become network inputs.
    public let preprocessing: Preprocessing
    /// How many images run at once.
    public let threads: Int

    /// A classifier.
    ///
    /// - Parameters:
    ///   - factory: the engines; their batch size must be 1.
    ///   - outputIsProbability: true for networks that end in softmax.
    ///   - preprocessing: Caffe ImageNet preprocessing by default.
    ///   - threads: images in flight at once (default: every core).
    public init(factory: any InferenceEngineFactory, outputIsProbability: Bool,
                preprocessing: Preprocessing = .caffeImageNet,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws(ClassificationError) {
        guard (1...256).contains(threads) else { throw .invalidThreads(threads) }
        self.factory = factory
        self.outputIsProbability = outputIsProbability
        self.preprocessing = preprocessing
        self.threads = threads
    }

    /// The number of classes the network scores.
    public var classCount: Int { factory.outputShape.itemCount }

    /// The `k` most likely classes of each image, in the order of `files`.
    public func classify(_ files: [URL], top k: Int = 5,
                         progress: (@Sendable (Int) -> Void)? = nil) throws -> [[Prediction]] {
        guard (1...classCount).contains(k) else { throw ClassificationError.invalidTop(k) }
        let results = Results<[Prediction]>(count: files.count)
        let isProbability = outputIsProbability
        try runner.run(files, progress: progress) { index, row in
            results.set(index, Ranking.top(k, of: row, isProbability: isProbability))
        }
        return results.values.map { $0 ?? [] }
    }

    /// Runs every image of `set` and counts how often the label is the top
    /// class (top-1) or among the five best (top-5).
    ///
    /// - Parameter progress: called after each image with the images done and
    ///   the top-1 hits so far.
    public func evaluate(_ set: LabeledImageSet,
                         progress: (@Sendable (_ done: Int, _ top1Hits: Int) -> Void)? = nil) throws -> Evaluation {
        let start = Date()
        let files = set.items.map(\.url)
        let results = Results<[Int]>(count: files.count)
        let hits = Counter()
        let labels = set.items.map(\.label)
        try runner.run(files, progress: { done in progress?(done, hits.value) }) { index, row in
            // Ranking by score needs no softmax.
            let top5 = Ranking.top(5, of: row, isProbability: true).map(\.classIndex)
            results.set(index, top5)
            if top5.first == labels[index] { hits.increment() }
        }
        let perImage = zip(set.items, results.values).map { item, top5 in
            Evaluation.ImageResult(file: item.fileName, label: item.label, top5: top5 ?? [])
        }
        return Evaluation(images: perImage, seconds: Date().timeIntervalSince(start))
    }

    private var runner: ImageRunner {
        ImageRunner(factory: factory, preprocessing: preprocessing, threads: threads)
    }
}

/// The outcome of evaluating a model on a labelled image set.
public struct Evaluation: Hashable, Sendable, Codable {
    /// One image's outcome.
    public struct ImageResult: Hashable, Sendable, Codable {
        /// The file name.
        public var file: String
        /// The true class index.
        public var label: Int
        /// The five best classes, best first.
        public var top5: [Int]
    }

    /// Every image, in the set's order.
    public var images: [ImageResult]
    /// Wall-clock seconds for the whole run (decoding included).
    public var seconds: Double

    /// Images whose best class is the label.
    public var top1Hits: Int { images.count { $0.top5.first == $0.label } }
    /// Images whose label is among the five best classes.
    public var top5Hits: Int { images.count { $0.top5.contains($0.label) } }
    /// Top-1 accuracy in 0...1.
    public var top1: Double { images.isEmpty ? 0 : Double(top1Hits) / Double(images.count) }
    /// Top-5 accuracy in 0...1.
    public var top5: Double { images.isEmpty ? 0 : Double(top5Hits) / Double(images.count) }
}

/// Per-index results written from worker threads.
private final class Results<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.withLock { storage[index] = value }
    }

    var values: [Value?] { lock.withLock { storage } }
}

/// A count shared by worker threads.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.withLock { count += 1 } }

    var value: Int { lock.withLock { count } }
}
