import SqueezeModel

/// Runs a `DenseProgram`: the float32 reference forward pass.
///
/// Owns one buffer per blob (so every intermediate value can be inspected after
/// a run) and the kernels' scratch. Use one executor per thread.
public final class DenseExecutor: InferenceEngine {
    /// The compiled model.
    public let program: DenseProgram
    private let graph: DenseGraph

    /// - Throws: `ExecutorError.resource` when the system refuses a buffer.
    init(program: DenseProgram) throws(ExecutorError) {
        do { graph = try DenseGraph(plan: program.plan, capacity: program.batchSize, gradients: false) } catch {
            throw .resource(error)
        }
        self.program = program
    }

    /// The shape of one batch of input.
    public var inputShape: TensorShape { program.inputShape }

    /// The shape of one batch of output.
    public var outputShape: TensorShape { program.outputShape }

    /// Runs the network on one batch.
    public func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(ExecutorError) {
        let batch = program.batchSize
        guard input.count == graph.input.count, let source = input.baseAddress else {
            throw .inputSize(expected: graph.input.count, actual: input.count)
        }
        let result = graph.outputs
        guard output.count == result.count, let destination = output.baseAddress else {
            throw .outputSize(expected: result.count, actual: output.count)
        }
        graph.input.baseAddress!.update(from: source, count: input.count)
        graph.forward(count: batch, weights: program.weights)
        destination.update(from: result.baseAddress!, count: result.count)
    }

    /// The newest value of a blob after the last run, or nil for an unknown name.
    public func blob(named name: String) -> [Float]? { graph.blob(named: name, count: program.batchSize) }
}
