import SqueezeModel

/// Something that runs a network's forward pass on a batch of inputs.
///
/// The dense reference executor and the compressed executor both conform, so
/// classification and evaluation do not depend on how weights are stored. An
/// engine owns its working memory and is used from one thread at a time; make
/// one engine per thread to run in parallel.
public protocol InferenceEngine: AnyObject {
    /// The shape of one batch of input, batch first (`[B, 3, 227, 227]`).
    var inputShape: TensorShape { get }
    /// The shape of one batch of output, batch first (`[B, 1000, 1, 1]`).
    var outputShape: TensorShape { get }
    /// Runs the network on `input` (exactly `inputShape.elementCount` values)
    /// and writes `outputShape.elementCount` values to `output`.
    func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(ExecutorError)
}

extension InferenceEngine {
    /// The batch size.
    public var batchSize: Int { inputShape.batch }

    /// Runs the network on an array and returns the outputs.
    public func run(_ input: [Float]) throws(ExecutorError) -> [Float] {
        var output = [Float](repeating: 0, count: outputShape.elementCount)
        try input.withUnsafeBufferPointer { (i) throws(ExecutorError) in
            try output.withUnsafeMutableBufferPointer { (o) throws(ExecutorError) in try run(i, into: o) }
        }
        return output
    }
}

/// Makes engines that share one compiled, immutable model: one per thread.
public protocol InferenceEngineFactory: Sendable {
    /// The shape of one batch of input of the engines made.
    var inputShape: TensorShape { get }
    /// The shape of one batch of output of the engines made.
    var outputShape: TensorShape { get }
    /// A new engine with its own working memory.
    func makeEngine() throws(ExecutorError) -> any InferenceEngine
    /// The memory the shared weights and `engines` engines take, worked out
    /// without allocating: callers that make several engines check it first.
    func memoryEstimate(engines: Int) -> MemoryEstimate
}

extension InferenceEngineFactory {
    /// Makes `count` engines, refused first when together with the weights they
    /// would need more than `memoryLimit`.
    public func makeEngines(_ count: Int, memoryLimit: MemoryLimit = .current) throws(ExecutorError) -> [any InferenceEngine] {
        do { try memoryLimit.check(memoryEstimate(engines: count)) } catch { throw .resource(error) }
        var engines: [any InferenceEngine] = []
        for _ in 0..<count { engines.append(try makeEngine()) }
        return engines
    }
}

extension DenseProgram: InferenceEngineFactory {
    /// A new dense executor.
    public func makeEngine() throws(ExecutorError) -> any InferenceEngine { try makeExecutor() }

    /// The expanded weights and `engines` executors' buffers.
    public func memoryEstimate(engines: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate("the dense engine")
        estimate.add("expanded weights", bytes: weightBytes)
        estimate.add(executorMemory, times: engines)
        return estimate
    }
}

extension CompressedProgram {
    /// The compact weights and `engines` executors' arenas and scratch.
    public func memoryEstimate(engines: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate("the compressed engine")
        estimate.add("compact weights", bytes: weightBytesResident)
        estimate.add(executorMemory, times: engines)
        return estimate
    }
}
