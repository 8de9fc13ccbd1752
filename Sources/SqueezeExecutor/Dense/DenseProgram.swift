import SqueezeKernels
import SqueezeModel

/// A model compiled for the dense reference forward pass at one batch size:
/// every weight expanded to float32 and the network lowered by ``DensePlan``
/// (the same lowering training uses).
///
/// This path is the oracle the compressed executor and the training code are
/// checked against, so it favours plain, Caffe-faithful kernels (im2col + BLAS
/// GEMM) over cleverness. A program is immutable and shared by any number of
/// `DenseExecutor`s, one per thread.
public final class DenseProgram: @unchecked Sendable {
    /// The network.
    public let network: Network
    /// The inferred shapes at `batchSize`.
    public let shapes: NetworkShapes
    /// The lowering.
    public let plan: DensePlan
    /// The batch size.
    public var batchSize: Int { shapes.batchSize }
    /// The input blob's name.
    public var inputName: String { plan.inputName }
    /// The output blob's name (the last blob no layer reads).
    public var outputName: String { plan.outputName }

    /// Expanded weights and biases, one buffer per slot; never written after init.
    private let weightBuffers: [UnsafeMutableBufferPointer<Float>]
    private let biasBuffers: [UnsafeMutableBufferPointer<Float>]
    let weights: DenseGraph.Weights

    /// Compiles `model` for batches of `batchSize`.
    ///
    /// - Throws: `ExecutorError` when the model does not validate or has more
    ///   than one input, OpenBLAS cannot be opened, or the expanded weights and
    ///   one executor would need more than `memoryLimit` (checked before any of
    ///   it is allocated).
    public init(model: Model, batchSize: Int = 1, memoryLimit: MemoryLimit = .current) throws(ExecutorError) {
        guard (1...4096).contains(batchSize) else { throw .invalidBatchSize(batchSize) }
        do { try model.validate() } catch { throw .invalidModel(error) }
        let shapes: NetworkShapes
        do { shapes = try model.network.inferShapes(batchSize: batchSize) } catch { throw .invalidModel(error) }
        let plan = try DensePlan(network: model.network, purpose: .inference)
        var estimate = MemoryEstimate("the dense engine")
        estimate.add("expanded weights", bytes: Self.weightBytes(model))
        estimate.add(DenseGraph.memory(plan: plan, capacity: batchSize, gradients: false))
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        do { try BLAS.load() } catch { throw .blasUnavailable(error.description) }

        var weightBuffers: [UnsafeMutableBufferPointer<Float>] = [], biasBuffers: [UnsafeMutableBufferPointer<Float>] = []
        func release() { (weightBuffers + biasBuffers).forEach(ZeroedMemory.release) }
        for name in plan.weightedLayers {
            guard let p = model.parameters[name] else {
                release()
                throw .invalidModel(.missingWeights(layer: name))
            }
            do {
                let w = try ZeroedMemory.allocate(Float.self, count: p.weights.elementCount, what: "expanded weights")
                weightBuffers.append(w)
                p.weights.expand(into: w)
                let b = try ZeroedMemory.allocate(Float.self, count: p.bias.count, what: "biases")
                biasBuffers.append(b)
                _ = b.initialize(from: p.bias)
            } catch {
                release()
                throw .resource(error)
            }
        }
        self.network = model.network
        self.shapes = shapes
        self.plan = plan
        self.weightBuffers = weightBuffers
        self.biasBuffers = biasBuffers
        self.weights = DenseGraph.Weights(
            weights: weightBuffers.map { UnsafePointer($0.baseAddress!) },
            biases: zip(biasBuffers, plan.biasCounts).map { $1 > 0 ? UnsafePointer($0.baseAddress!) : nil })
    }

    deinit { (weightBuffers + biasBuffers).forEach(ZeroedMemory.release) }

    private static func weightBytes(_ model: Model) -> Int {
        model.parameters.values.reduce(0) {
            Checked.saturatingAdd($0, Checked.saturatingMultiply(Checked.saturatingAdd($1.weights.elementCount, $1.bias.count), 4))
        }
    }

    /// What one executor allocates: a buffer per blob and the kernels' scratch.
    public var executorMemory: MemoryEstimate { DenseGraph.memory(plan: plan, capacity: batchSize, gradients: false) }

    /// The shape of one batch of input.
    public var inputShape: TensorShape { network.inputs[0].shape.withBatch(batchSize) }

    /// The shape of one batch of output.
    public var outputShape: TensorShape { shapes.blobs[outputName] ?? [batchSize] }

    /// Bytes of the expanded float32 weights and biases.
    public var weightBytes: Int { 4 * (weightBuffers.reduce(0) { $0 + $1.count } + biasBuffers.reduce(0) { $0 + $1.count }) }

    /// Bytes of one executor's blob buffers and scratch.
    public var activationBytes: Int { 4 * (plan.perImage.reduce(0, +) * batchSize + plan.scratchCount) }

    /// A new executor with its own working memory.
    ///
    /// - Throws: `ExecutorError.resource` when the system refuses its buffers.
    public func makeExecutor() throws(ExecutorError) -> DenseExecutor { try DenseExecutor(program: self) }
}

extension WeightTensor {
    /// Writes the dense values, row-major, into `buffer` (`elementCount` floats).
    public func expand(into buffer: UnsafeMutableBufferPointer<Float>) {
        switch storage {
        case .dense(let values):
            _ = buffer.initialize(from: values)
        case .sparse(let positions, let values):
            buffer.update(repeating: 0)
            for (p, v) in zip(positions, values) { buffer[Int(p)] = v }
        case .shared(let codebook, let codes, let positions):
            if let positions {
                buffer.update(repeating: 0)
                for (p, c) in zip(positions, codes) { buffer[Int(p)] = codebook[Int(c)] }
            } else {
                for (i, c) in codes.enumerated() { buffer[i] = codebook[Int(c)] }
            }
        }
    }
}
