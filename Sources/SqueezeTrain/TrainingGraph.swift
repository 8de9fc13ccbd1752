import SqueezeData
import SqueezeExecutor
import SqueezeKernels
import SqueezeModel

/// A network compiled for training at up to `capacity` images per pass: a buffer
/// and a gradient buffer for every layer output (nothing runs in place, so every
/// backward pass can read the forward values it needs), the scratch matrices of
/// im2col and col2im, and this graph's own weight gradients.
///
/// One graph belongs to one thread. The trainer runs one per worker over the
/// same `TrainableParameters` and sums their weight gradients.
public final class TrainingGraph: @unchecked Sendable {
    /// The parameters the graph reads.
    public let parameters: TrainableParameters
    /// The most images one pass can hold.
    public let capacity: Int
    /// The number of logits per image.
    public let classCount: Int
    /// The shape of one input image.
    public let sampleShape: TensorShape
    /// Whether the graph has gradient buffers (`backward` may run).
    public let forTraining: Bool

    let steps: [Step]
    /// Floats per image of each buffer; buffer 0 is the input.
    let perImage: [Int]
    let values: [UnsafeMutableBufferPointer<Float>]
    /// Gradient buffers; the input's is empty (no layer needs it).
    let gradients: [UnsafeMutableBufferPointer<Float>]
    let needsGradient: [Bool]
    let logits: Int
    let columns: UnsafeMutableBufferPointer<Float>
    let columnGradients: UnsafeMutableBufferPointer<Float>
    let argmax: [UnsafeMutableBufferPointer<Int32>]
    let dropoutMasks: [UnsafeMutableBufferPointer<Float>]
    /// Per-slot gradients of the weights and biases, accumulated by `backward`.
    public let weightGradients: [UnsafeMutableBufferPointer<Float>]
    /// Per-slot gradients of the biases.
    public let biasGradients: [UnsafeMutableBufferPointer<Float>]

    struct Step {
        let name: String
        let inputs: [Int]
        let output: Int
        let operation: Operation
    }

    enum Operation {
        case convolution(ConvolutionGeometry, groups: Int, outputChannels: Int, slot: Int, hasBias: Bool)
        case innerProduct(inputs: Int, outputs: Int, slot: Int, hasBias: Bool)
        case relu(slope: Float)
        case maxPool(PoolingGeometry, planes: Int, argmax: Int)
        case averagePool(PoolingGeometry, planes: Int)
        case globalAveragePool(planes: Int, planeSize: Int)
        /// `outer` blocks per image, each made of the inputs' `chunks` in turn.
        case concat(outer: Int, chunks: [Int])
        /// Inverted dropout; its mask (0 or 1/(1-ratio) per value) is kept for backward.
        case dropout(ratio: Float, mask: Int)
    }

    /// Compiles the parameters' network for passes of up to `capacity` images.
    ///
    /// A final Softmax is dropped (the loss works on logits); other layers without
    /// a backward pass (LRN, an inner Softmax) are refused. A graph made with
    /// `forTraining: false` has no gradient buffers and only runs forward.
    /// Refused before allocating when its buffers would pass `memoryLimit`.
    public convenience init(parameters: TrainableParameters, capacity: Int, forTraining: Bool = true,
                            memoryLimit: MemoryLimit = .current) throws(TrainingError) {
        let layout = try Layout(parameters: parameters, capacity: capacity, forTraining: forTraining)
        do { try memoryLimit.check(layout.memory) } catch { throw .resource(error) }
        try self.init(layout: layout)
    }

    /// A graph's steps and buffer sizes, worked out before anything is allocated.
    struct Layout {
        let parameters: TrainableParameters
        let capacity: Int
        let forTraining: Bool
        let sampleShape: TensorShape
        let steps: [Step]
        let perImage: [Int]
        let columnSize: Int
        let argmaxSizes: [Int]
        let maskSizes: [Int]
        let logits: Int

        /// What `TrainingGraph.init(layout:)` allocates.
        var memory: MemoryEstimate {
            var estimate = MemoryEstimate(forTraining ? "a training graph" : "an evaluation graph")
            let floats = perImage.reduce(0, Checked.saturatingAdd)
            let copies = forTraining ? 2 : 1
            estimate.add("layer outputs\(forTraining ? " and their gradients" : "") for \(capacity) image(s)",
                         count: Checked.saturatingMultiply(Checked.saturatingMultiply(floats, capacity), copies), elementBytes: 4)
            estimate.add("im2col scratch", count: Checked.saturatingMultiply(columnSize, copies), elementBytes: 4)
            let kept = (argmaxSizes + maskSizes).reduce(0, Checked.saturatingAdd)
            estimate.add("pooling and dropout state", count: Checked.saturatingMultiply(kept, capacity), elementBytes: 4)
            if forTraining {
                let weights = parameters.slots.reduce(0) { Checked.saturatingAdd($0, $1.weights.count + $1.bias.count) }
                estimate.add("weight gradients", count: weights, elementBytes: 4)
            }
            return estimate
        }

        init(parameters: TrainableParameters, capacity: Int, forTraining: Bool) throws(TrainingError) {
            guard (1...4096).contains(capacity) else { throw .invalidOption("batch of \(capacity) images per worker is out of range") }
            let network = parameters.network
            guard network.inputs.count == 1 else {
                throw .unsupportedTopology("it has \(network.inputs.count) inputs; one is supported")
            }
            let shapes: NetworkShapes
            do { shapes = try network.inferShapes(batchSize: 1) } catch { throw .invalidModel(error) }
            var layers = Array(zip(network.layers, shapes.layers))
            if case .softmax = layers.last?.0.kind { layers.removeLast() }

            let input = network.inputs[0]
            var perImage = [input.shape.withBatch(1).elementCount]
            var current: [String: Int] = [input.name: 0]
            var steps: [Step] = []
            var columnSize = 1
            var argmaxSizes: [Int] = []
            var maskSizes: [Int] = []
            for (layer, s) in layers {
                guard layer.tops.count == 1 else {
                    throw .unsupportedTopology("layer '\(layer.name)' has \(layer.tops.count) outputs")
                }
                var inputs: [Int] = []
                for bottom in layer.bottoms {
                    guard let id = current[bottom] else { throw .unsupportedTopology("unknown blob '\(bottom)'") }
                    inputs.append(id)
                }
                let x = s.inputs[0], y = s.outputs[0]
                let operation: Operation
                switch layer.kind {
                case .convolution(let p):
                    guard let slot = parameters.slotIndex(of: layer.name) else {
                        throw .invalidModel(.missingWeights(layer: layer.name))
                    }
                    let g = ConvolutionGeometry(input: x, convolution: p)
                    if !g.isPointwise { columnSize = max(columnSize, Checked.saturatingMultiply(g.columnRows, g.columnCount)) }
                    operation = .convolution(g, groups: p.groups, outputChannels: p.outputChannels, slot: slot, hasBias: p.hasBias)
                case .innerProduct(let p):
                    guard let slot = parameters.slotIndex(of: layer.name) else {
                        throw .invalidModel(.missingWeights(layer: layer.name))
                    }
                    operation = .innerProduct(inputs: x.itemCount, outputs: p.outputCount, slot: slot, hasBias: p.hasBias)
                case .relu(let slope):
                    operation = .relu(slope: slope)
                case .dropout(let ratio):
                    operation = .dropout(ratio: ratio, mask: maskSizes.count)
                    maskSizes.append(x.itemCount)
                case .pooling(let p):
                    if p.isGlobal {
                        operation = p.method == .average
                            ? .globalAveragePool(planes: x.channels, planeSize: x.height * x.width)
                            : .maxPool(PoolingGeometry(input: x, output: y, pooling: p), planes: x.channels,
                                       argmax: argmaxSizes.count)
                        if case .maxPool = operation { argmaxSizes.append(y.itemCount) }
                    } else {
                        let g = PoolingGeometry(input: x, output: y, pooling: p)
                        if p.method == .max {
                            operation = .maxPool(g, planes: x.channels, argmax: argmaxSizes.count)
                            argmaxSizes.append(y.itemCount)
                        } else {
                            operation = .averagePool(g, planes: x.channels)
                        }
                    }
                case .concat(let axis):
                    guard let a = Layer.normalizedAxis(axis, rank: x.rank), a >= 1 else {
                        throw .unsupportedTopology("layer '\(layer.name)' concatenates along the batch axis")
                    }
                    operation = .concat(outer: x.dimensions[1..<a].reduce(1, *),
                                        chunks: s.inputs.map { $0.dimensions[a...].reduce(1, *) })
                case .lrn, .softmax:
                    throw .unsupportedLayer(name: layer.name, type: layer.kind.typeName)
                }
                perImage.append(y.itemCount)
                current[layer.tops[0]] = perImage.count - 1
                steps.append(Step(name: layer.name, inputs: inputs, output: perImage.count - 1, operation: operation))
            }
            guard let last = steps.last else { throw .unsupportedTopology("it has no layers") }
            self.parameters = parameters
            self.capacity = capacity
            self.forTraining = forTraining
            self.sampleShape = input.shape.withBatch(1)
            self.steps = steps
            self.perImage = perImage
            self.columnSize = columnSize
            self.argmaxSizes = argmaxSizes
            self.maskSizes = maskSizes
            self.logits = last.output
        }
    }

    /// Allocates the buffers of `layout`.
    ///
    /// - Throws: `TrainingError.resource` when the system refuses a buffer.
    init(layout: Layout) throws(TrainingError) {
        let capacity = layout.capacity, forTraining = layout.forTraining, perImage = layout.perImage
        var floats: [UnsafeMutableBufferPointer<Float>] = []
        var indices: [UnsafeMutableBufferPointer<Int32>] = []
        func failed(_ error: ResourceError) -> TrainingError {
            floats.forEach(ZeroedMemory.release)
            indices.forEach(ZeroedMemory.release)
            return .resource(error)
        }
        func float(_ count: Int, _ what: String) throws(TrainingError) -> UnsafeMutableBufferPointer<Float> {
            do { floats.append(try ZeroedMemory.allocate(Float.self, count: count, what: what)) } catch { throw failed(error) }
            return floats[floats.count - 1]
        }
        func index(_ count: Int, _ what: String) throws(TrainingError) -> UnsafeMutableBufferPointer<Int32> {
            do { indices.append(try ZeroedMemory.allocate(Int32.self, count: count, what: what)) } catch { throw failed(error) }
            return indices[indices.count - 1]
        }
        var values: [UnsafeMutableBufferPointer<Float>] = [], gradients: [UnsafeMutableBufferPointer<Float>] = []
        for (i, size) in perImage.enumerated() {
            values.append(try float(size * capacity, "a layer's outputs"))
            gradients.append(try float(i == 0 || !forTraining ? 0 : size * capacity, "a layer's gradients"))
        }
        let columns = try float(layout.columnSize, "the im2col scratch")
        let columnGradients = try float(forTraining ? layout.columnSize : 0, "the col2im scratch")
        var argmax: [UnsafeMutableBufferPointer<Int32>] = []
        for size in layout.argmaxSizes { argmax.append(try index(size * capacity, "max-pooling positions")) }
        var masks: [UnsafeMutableBufferPointer<Float>] = []
        for size in layout.maskSizes { masks.append(try float(size * capacity, "dropout masks")) }
        var weightGradients: [UnsafeMutableBufferPointer<Float>] = [], biasGradients: [UnsafeMutableBufferPointer<Float>] = []
        for slot in layout.parameters.slots {
            weightGradients.append(try float(forTraining ? slot.weights.count : 0, "weight gradients"))
            biasGradients.append(try float(forTraining ? slot.bias.count : 0, "bias gradients"))
        }
        self.parameters = layout.parameters
        self.capacity = capacity
        self.sampleShape = layout.sampleShape
        self.steps = layout.steps
        self.perImage = perImage
        self.logits = layout.logits
        self.classCount = perImage[layout.logits]
        self.values = values
        self.gradients = gradients
        self.needsGradient = perImage.indices.map { $0 != 0 && forTraining }
        self.columns = columns
        self.columnGradients = columnGradients
        self.argmax = argmax
        self.dropoutMasks = masks
        self.weightGradients = weightGradients
        self.biasGradients = biasGradients
        self.forTraining = forTraining
    }

    deinit {
        for b in values + gradients + [columns, columnGradients] + weightGradients + biasGradients + dropoutMasks {
            ZeroedMemory.release(b)
        }
        argmax.forEach(ZeroedMemory.release)
    }

    /// The input buffer: `capacity` images, each `sampleShape.elementCount` floats.
    public var input: UnsafeMutableBufferPointer<Float> { values[0] }

    /// The logits of the last forward pass, `classCount` per image.
    public var outputs: UnsafeMutableBufferPointer<Float> { values[logits] }

    /// The gradient of the loss with respect to the logits, written by the loss
    /// before `backward`.
    public var outputGradients: UnsafeMutableBufferPointer<Float> { gradients[logits] }

    /// Sets every weight and bias gradient to zero.
    public func zeroParameterGradients() {
        for b in weightGradients + biasGradients { b.update(repeating: 0) }
    }
}
