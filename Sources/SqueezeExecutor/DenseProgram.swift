import SqueezeKernels
import SqueezeModel

/// A model compiled for the dense reference forward pass at one batch size:
/// every weight expanded to float32, every blob given a buffer, every layer
/// turned into a step with its geometry worked out.
///
/// This path is the oracle the compressed executor and the training code are
/// checked against, so it favours plain, Caffe-faithful kernels (im2col + BLAS
/// GEMM) over cleverness. A program is immutable and shared by any number of
/// `DenseExecutor`s, one per thread.
public final class DenseProgram: Sendable {
    /// The network.
    public let network: Network
    /// The inferred shapes at `batchSize`.
    public let shapes: NetworkShapes
    /// The input blob's name.
    public let inputName: String
    /// The output blob's name (the last blob no layer reads).
    public let outputName: String
    /// The batch size.
    public var batchSize: Int { shapes.batchSize }

    let steps: [Step]
    /// Element count of each buffer; buffer 0 is the input.
    let bufferSizes: [Int]
    /// Buffer id of the newest value of each blob.
    let blobBuffers: [String: Int]
    let outputBuffer: Int
    let columnSize: Int
    let weights: [String: DenseWeights]

    /// Compiles `model` for batches of `batchSize`.
    ///
    /// - Throws: `ExecutorError` when the model does not validate or has more
    ///   than one input, OpenBLAS cannot be opened, or the expanded weights and
    ///   one executor would need more than `memoryLimit` (checked before any of
    ///   it is allocated).
    public init(model: Model, batchSize: Int = 1, memoryLimit: MemoryLimit = .current) throws(ExecutorError) {
        guard (1...4096).contains(batchSize) else { throw .invalidBatchSize(batchSize) }
        do { try model.validate() } catch { throw .invalidModel(error) }
        let network = model.network
        guard network.inputs.count == 1 else {
            throw .unsupportedTopology("it has \(network.inputs.count) inputs; one is supported")
        }
        let shapes: NetworkShapes
        do { shapes = try network.inferShapes(batchSize: batchSize) } catch { throw .invalidModel(error) }
        guard let outputName = network.outputNames.last else {
            throw .unsupportedTopology("it has no output")
        }
        let inputName = network.inputs[0].name

        // Buffers first, from the shapes alone, so the memory is known before
        // any weight is expanded.
        var sizes = [shapes.layers.first?.inputs.first?.elementCount ?? network.inputs[0].shape.withBatch(batchSize).elementCount]
        var current: [String: Int] = [inputName: 0]
        var buffers: [(inputs: [Int], outputs: [Int])] = []
        var columnSize = 0
        for (layer, layerShapes) in zip(network.layers, shapes.layers) {
            let inputs = layer.bottoms.map { current[$0] ?? 0 }
            var outputs: [Int] = []
            for (top, shape) in zip(layer.tops, layerShapes.outputs) {
                if case .dropout = layer.kind {
                    // Identity at inference: the top names the same buffer.
                    outputs.append(inputs[0])
                } else if layer.kind.canRunInPlace, layer.bottoms.first == top {
                    outputs.append(inputs[0])
                } else {
                    sizes.append(shape.elementCount)
                    outputs.append(sizes.count - 1)
                }
                current[top] = outputs.last
            }
            if case .convolution(let p) = layer.kind {
                let g = ConvolutionGeometry(input: layerShapes.inputs[0], convolution: p)
                if !g.isPointwise { columnSize = max(columnSize, Checked.saturatingMultiply(g.columnRows, g.columnCount)) }
            }
            buffers.append((inputs, outputs))
        }
        let weightBytes = model.parameters.values.reduce(0) {
            Checked.saturatingAdd($0, Checked.saturatingMultiply(Checked.saturatingAdd($1.weights.elementCount, $1.bias.count), 4))
        }
        var estimate = MemoryEstimate("the dense engine")
        estimate.add("expanded weights", bytes: weightBytes)
        estimate.add(Self.executorMemory(bufferSizes: sizes, columnSize: columnSize, batchSize: batchSize))
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        do { try BLAS.load() } catch { throw .blasUnavailable(error.description) }

        var weights: [String: DenseWeights] = [:]
        for (name, p) in model.parameters {
            weights[name] = DenseWeights(values: p.weights.denseValues(), bias: p.bias)
        }
        var steps: [Step] = []
        for ((layer, layerShapes), (inputs, outputs)) in zip(zip(network.layers, shapes.layers), buffers) {
            steps.append(try Step(layer: layer, shapes: layerShapes, inputs: inputs, outputs: outputs,
                                  weights: weights[layer.name]))
        }
        self.network = network
        self.shapes = shapes
        self.inputName = inputName
        self.outputName = outputName
        self.weights = weights
        self.steps = steps
        self.bufferSizes = sizes
        self.blobBuffers = current
        self.outputBuffer = current[outputName] ?? 0
        self.columnSize = columnSize
    }

    /// What one executor allocates, as `DenseExecutor.init` does: a buffer per
    /// blob and the im2col scratch.
    public var executorMemory: MemoryEstimate {
        Self.executorMemory(bufferSizes: bufferSizes, columnSize: columnSize, batchSize: batchSize)
    }

    private static func executorMemory(bufferSizes: [Int], columnSize: Int, batchSize: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate("one dense executor")
        estimate.add("blob buffers at batch \(batchSize)", count: bufferSizes.reduce(0, Checked.saturatingAdd), elementBytes: 4)
        estimate.add("im2col scratch", count: max(columnSize, 1), elementBytes: 4)
        return estimate
    }

    /// The shape of one batch of input.
    public var inputShape: TensorShape { network.inputs[0].shape.withBatch(batchSize) }

    /// The shape of one batch of output.
    public var outputShape: TensorShape { shapes.blobs[outputName] ?? [batchSize] }

    /// Bytes of the expanded float32 weights and biases.
    public var weightBytes: Int { weights.values.reduce(0) { $0 + 4 * ($1.values.count + $1.bias.count) } }

    /// Bytes of one executor's blob buffers and im2col scratch.
    public var activationBytes: Int { 4 * (bufferSizes.reduce(0, +) + columnSize) }

    /// A new executor with its own working memory.
    ///
    /// - Throws: `ExecutorError.resource` when the system refuses its buffers.
    public func makeExecutor() throws(ExecutorError) -> DenseExecutor { try DenseExecutor(program: self) }
}

/// One layer's expanded weights.
struct DenseWeights: Sendable {
    let values: [Float]
    let bias: [Float]
}
