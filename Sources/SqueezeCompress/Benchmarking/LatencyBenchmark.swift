import Foundation
import SqueezeData
import SqueezeExecutor
import SqueezeKernels
import SqueezeModel

/// Measures how long a model takes to open and to run one batch.
///
/// Opening counts everything from reading the file to an engine ready to run
/// (decoding, compiling, allocating the arena, starting threads). Each timed
/// run is one batch of seeded pseudo-random input: neither executor's time
/// depends on the values.
public struct LatencyBenchmark: Sendable {
    /// What to measure.
    public struct Configuration: Sendable {
        /// The weights file.
        public var weights: URL
        /// The network definition, for formats that keep it separately.
        public var prototxt: URL?
        /// The engine; nil picks the format's default.
        public var engine: EngineKind?
        /// Images per run.
        public var batchSize = 1
        /// Threads inside one run.
        public var threads = 1
        /// Timed runs.
        public var iterations = 50
        /// Untimed runs first (caches, page faults, thread start).
        public var warmup = 5
        /// Also time each step (compressed engine only).
        public var profileSteps = false
        /// The compressed engine's sparse kernels; nil picks the widest this
        /// processor runs.
        public var kernels: SparseKernelSet?

        /// A configuration with the defaults above.
        public init(weights: URL, prototxt: URL? = nil, engine: EngineKind? = nil) {
            self.weights = weights
            self.prototxt = prototxt
            self.engine = engine
        }
    }

    /// The figures, in milliseconds where timed.
    public struct Result: Sendable, Codable, Hashable {
        /// The weights file.
        public var model: String
        /// The engine that ran.
        public var engine: EngineKind
        /// Images per run.
        public var batch: Int
        /// Threads inside one run.
        public var threads: Int
        /// The sparse kernels the compressed engine ran (nil for the dense engine).
        public var kernels: SparseKernelSet?
        /// Timed runs.
        public var iterations: Int
        /// From reading the file to an engine ready to run.
        public var loadMs: Double
        /// Median of the timed runs.
        public var medianMs: Double
        /// 90th percentile of the timed runs.
        public var p90Ms: Double
        /// Fastest timed run.
        public var minMs: Double
        /// Mean of the timed runs.
        public var meanMs: Double
        /// `batch / median`.
        public var imagesPerSecond: Double
        /// Bytes of weight data the engine holds while running.
        public var weightBytesResident: Int
        /// Bytes of activations (arena or per-blob buffers) of one engine.
        public var activationBytes: Int
        /// Mean time per step, when asked for.
        public var steps: [StepTime]?
    }

    /// One step's share of a run.
    public struct StepTime: Sendable, Codable, Hashable {
        /// The layer the step belongs to.
        public var name: String
        /// Mean milliseconds per run.
        public var meanMs: Double
    }

    /// Runs the benchmark; `progress` is called after each timed run with the count done.
    public static func run(_ c: Configuration, progress: ((Int) -> Void)? = nil) throws -> Result {
        let engineKind = c.engine ?? ModelFormat(url: c.weights).map(EngineKind.defaultEngine(for:)) ?? .dense
        // Only the dense engine's threads are OpenBLAS's; the compressed engine
        // never opens OpenBLAS (its idle threads would spin on the cores).
        return try BLAS.withThreadCount(engineKind == .dense ? c.threads : nil) { () throws -> Result in
            try measure(c, engineKind: engineKind, progress: progress)
        }
    }

    private static func measure(_ c: Configuration, engineKind: EngineKind, progress: ((Int) -> Void)?) throws -> Result {
        let start = DispatchTime.now()
        let loaded = try ModelLoader.load(weights: c.weights, prototxt: c.prototxt)
        let engine: any InferenceEngine
        var compressed: CompressedExecutor?
        let weightBytes: Int, activationBytes: Int
        var kernels: SparseKernelSet?
        switch engineKind {
        case .compressed:
            let program = try CompressedNetwork(model: loaded.model)
                .program(batchSize: c.batchSize, threads: c.threads, kernels: c.kernels ?? .preferred)
            kernels = program.kernels
            compressed = try program.makeExecutor()
            engine = compressed!
            weightBytes = program.weightBytesResident
            activationBytes = program.arenaBytes
        case .dense:
            let program = try DenseProgram(model: loaded.model, batchSize: c.batchSize)
            engine = try program.makeExecutor()
            weightBytes = program.weightBytes
            activationBytes = program.activationBytes
        }
        let loadMs = milliseconds(since: start)

        var generator = SeededGenerator(seed: 1)
        let input = (0..<engine.inputShape.elementCount).map { _ in Float.random(in: -128..<128, using: &generator) }
        var output = [Float](repeating: 0, count: engine.outputShape.elementCount)
        var times: [Double] = []
        try input.withUnsafeBufferPointer { i in
            try output.withUnsafeMutableBufferPointer { o in
                for _ in 0..<c.warmup { try engine.run(i, into: o) }
                if c.profileSteps { compressed?.startProfiling() }
                for n in 0..<c.iterations {
                    let t = DispatchTime.now()
                    try engine.run(i, into: o)
                    times.append(milliseconds(since: t))
                    progress?(n + 1)
                }
            }
        }
        times.sort()
        let median = times.isEmpty ? 0 : times.count % 2 == 1
            ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let p90 = times.isEmpty ? 0 : times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.up)) - 1)]
        return Result(model: c.weights.path, engine: engineKind, batch: c.batchSize, threads: c.threads,
                      kernels: kernels, iterations: c.iterations, loadMs: loadMs, medianMs: median, p90Ms: p90, minMs: times.first ?? 0,
                      meanMs: times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count),
                      imagesPerSecond: median > 0 ? Double(c.batchSize) * 1000 / median : 0,
                      weightBytesResident: weightBytes, activationBytes: activationBytes,
                      steps: compressed?.profile.map { p in
                          zip(p.names, p.nanoseconds).map { StepTime(name: $0, meanMs: Double($1) / 1e6 / Double(max(p.runs, 1))) }
                      })
    }

    private static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}
