import SqueezeKernels
import SqueezeModel

/// Runs a `DenseProgram`: the float32 reference forward pass.
///
/// Owns one buffer per blob (so every intermediate value can be inspected after
/// a run) and the im2col scratch matrix. Use one executor per thread.
public final class DenseExecutor: InferenceEngine {
    /// The compiled model.
    public let program: DenseProgram
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private let columns: UnsafeMutableBufferPointer<Float>

    /// - Throws: `ExecutorError.resource` when the system refuses a buffer.
    init(program: DenseProgram) throws(ExecutorError) {
        var buffers: [UnsafeMutableBufferPointer<Float>] = []
        do {
            for size in program.bufferSizes {
                buffers.append(try ZeroedMemory.allocate(Float.self, count: size, what: "a blob buffer"))
            }
            columns = try ZeroedMemory.allocate(Float.self, count: max(program.columnSize, 1), what: "the im2col scratch")
        } catch {
            buffers.forEach(ZeroedMemory.release)
            throw .resource(error)
        }
        self.program = program
        self.buffers = buffers
    }

    deinit {
        buffers.forEach(ZeroedMemory.release)
        ZeroedMemory.release(columns)
    }

    /// The shape of one batch of input.
    public var inputShape: TensorShape { program.inputShape }

    /// The shape of one batch of output.
    public var outputShape: TensorShape { program.outputShape }

    /// Runs the network on one batch.
    public func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(ExecutorError) {
        guard input.count == buffers[0].count, let source = input.baseAddress else {
            throw .inputSize(expected: buffers[0].count, actual: input.count)
        }
        let result = buffers[program.outputBuffer]
        guard output.count == result.count, let destination = output.baseAddress else {
            throw .outputSize(expected: result.count, actual: output.count)
        }
        buffers[0].baseAddress!.update(from: source, count: input.count)
        for step in program.steps { execute(step) }
        destination.update(from: result.baseAddress!, count: result.count)
    }

    /// The newest value of a blob after the last run, or nil for an unknown name.
    public func blob(named name: String) -> [Float]? {
        program.blobBuffers[name].map { Array(buffers[$0]) }
    }

    private func pointer(_ id: Int) -> UnsafeMutablePointer<Float> { buffers[id].baseAddress! }

    private func execute(_ step: DenseProgram.Step) {
        let x = UnsafePointer(pointer(step.inputs[0]))
        let y = pointer(step.outputs[0])
        switch step.operation {
        case .convolution(let c):
            convolve(c, input: x, output: y)
        case .innerProduct(let inputCount, let outputCount, let weights, let hasBias):
            weights.values.withUnsafeBufferPointer { w in
                weights.bias.withUnsafeBufferPointer { bias in
                    innerProduct(batch: buffers[step.inputs[0]].count / inputCount, inputs: inputCount, outputs: outputCount,
                                 weights: w.baseAddress!, bias: hasBias ? bias.baseAddress : nil, input: x, output: y)
                }
            }
        case .relu(let count, let slope):
            relu(count: count, slope: slope, input: x, output: y)
        case .identity(let count):
            if x != UnsafePointer(y) { y.update(from: x, count: count) }
        case .maxPool(let g, let planes):
            maxPool(g, planes: planes, input: x, output: y)
        case .averagePool(let g, let planes):
            averagePool(g, planes: planes, input: x, output: y)
        case .globalAveragePool(let planes, let planeSize):
            globalAveragePool(planes: planes, planeSize: planeSize, input: x, output: y)
        case .concat(let outer, let chunks):
            concatenate(outer: outer, chunks: chunks, inputs: step.inputs.map { UnsafePointer(pointer($0)) }, output: y)
        case .lrnAcross(let images, let channels, let planeSize, let p):
            for i in 0..<images {
                let offset = i * channels * planeSize
                lrnAcrossChannels(channels: channels, planeSize: planeSize, size: p.localSize,
                                  alpha: p.alpha, beta: p.beta, k: p.k, input: x + offset, output: y + offset)
            }
        case .lrnWithin(let planes, let height, let width, let p):
            lrnWithinChannel(planes: planes, height: height, width: width, size: p.localSize,
                             alpha: p.alpha, beta: p.beta, input: x, output: y)
        case .softmax(let outer, let classes, let inner):
            softmax(outer: outer, classes: classes, inner: inner, input: x, output: y)
        }
    }

    private func convolve(_ c: DenseProgram.Step.Convolution, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        c.weights.values.withUnsafeBufferPointer { w in
            c.weights.bias.withUnsafeBufferPointer { bias in
                SqueezeKernels.convolve(c.geometry, images: c.batch, groups: c.groups, outputChannels: c.outputChannels,
                                        weights: w.baseAddress!, bias: c.hasBias ? bias.baseAddress : nil,
                                        input: input, output: output, columns: columns.baseAddress!)
            }
        }
    }
}
