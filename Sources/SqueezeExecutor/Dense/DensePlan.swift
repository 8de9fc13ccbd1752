import SqueezeModel

/// A network lowered for the dense engine: each layer's kernel (from its
/// operator), the buffers it reads and writes, and the weighted layer it takes
/// weights from. Buffer sizes are per image; a ``DenseGraph`` allocates them
/// for a number of images.
///
/// The same lowering serves inference and training: for training every layer
/// writes a buffer of its own (backward passes read the forward values) and a
/// final Softmax is dropped (the loss works on logits); at inference
/// element-wise layers run in place and Dropout is no step at all.
public struct DensePlan: Sendable {
    /// What the plan is for.
    public enum Purpose: Sendable, Hashable {
        /// Forward passes only, buffers shared where the network allows.
        case inference
        /// Forward and backward passes.
        case training
    }

    struct Step: Sendable {
        let name: String
        let layerIndex: Int
        let kernel: any LayerKernel
        let inputs: [Int]
        let outputs: [Int]
        /// Index into `weightedLayers`.
        let slot: Int?
    }

    /// The network.
    public let network: Network
    /// What the plan is for.
    public let purpose: Purpose
    /// The shapes of one image.
    public let shapes: NetworkShapes
    /// The input blob.
    public let inputName: String
    /// The output blob (for training, the logits before a final Softmax).
    public let outputName: String
    /// The weighted layers in order; a step's slot indexes this.
    public let weightedLayers: [String]
    /// Biases per weighted layer (0 without bias).
    public let biasCounts: [Int]

    let steps: [Step]
    /// Floats per image of each buffer; buffer 0 is the input.
    let perImage: [Int]
    /// Buffer of the newest value of each blob.
    let blobBuffers: [String: Int]
    let outputBuffer: Int
    let scratchCount: Int
    /// Words per image each step keeps for backward.
    let stateCounts: [Int]

    /// Lowers `network` (which must infer shapes) for `purpose`.
    ///
    /// - Throws: `ExecutorError` for a network with other than one input, a
    ///   training network with a layer that has no backward pass, or shapes
    ///   that do not infer.
    public init(network: Network, purpose: Purpose) throws(ExecutorError) {
        guard network.inputs.count == 1 else {
            throw .unsupportedTopology("it has \(network.inputs.count) inputs; one is supported")
        }
        let shapes: NetworkShapes
        do { shapes = try network.inferShapes(batchSize: 1) } catch { throw .invalidModel(error) }
        guard var outputName = network.outputNames.last else { throw .unsupportedTopology("it has no output") }
        var layerCount = network.layers.count
        if purpose == .training, let last = network.layers.last, last.kind is Softmax, last.tops == [outputName] {
            layerCount -= 1
            outputName = last.bottoms[0]
        }
        guard layerCount > 0 else { throw .unsupportedTopology("it has no layers") }

        let input = network.inputs[0]
        var perImage = [input.shape.withBatch(1).elementCount]
        var current: [String: Int] = [input.name: 0]
        var steps: [Step] = []
        var weighted: [String] = [], biasCounts: [Int] = []
        var scratch = 0
        for index in 0..<layerCount {
            let layer = network.layers[index], s = shapes.layers[index]
            var inputs: [Int] = []
            for bottom in layer.bottoms {
                guard let id = current[bottom] else { throw .unsupportedTopology("layer '\(layer.name)' reads unknown blob '\(bottom)'") }
                inputs.append(id)
            }
            let kernel = layer.kind.makeKernel(s)
            if purpose == .training, !kernel.hasBackward {
                throw .unsupportedLayer(layer: layer.name, reason: "\(layer.kind.typeName) has no backward pass")
            }
            var outputs: [Int] = []
            for (top, shape) in zip(layer.tops, s.outputs) {
                switch (purpose, layer.kind.placement) {
                case (.inference, .alias):
                    outputs.append(inputs[0])
                case (.inference, .inPlace) where layer.bottoms.first == top:
                    outputs.append(inputs[0])
                default:
                    perImage.append(shape.elementCount)
                    outputs.append(perImage.count - 1)
                }
                current[top] = outputs.last
            }
            if purpose == .inference, layer.kind.placement == .alias { continue }
            var slot: Int?
            if let weight = s.weight, weight.rank > 0 {
                slot = weighted.count
                weighted.append(layer.name)
                biasCounts.append(s.biasCount)
            }
            scratch = max(scratch, kernel.scratchCount)
            steps.append(Step(name: layer.name, layerIndex: index, kernel: kernel, inputs: inputs, outputs: outputs, slot: slot))
        }
        guard let outputBuffer = current[outputName] else { throw .unsupportedTopology("no layer produces '\(outputName)'") }
        self.network = network
        self.purpose = purpose
        self.shapes = shapes
        self.inputName = input.name
        self.outputName = outputName
        self.weightedLayers = weighted
        self.biasCounts = biasCounts
        self.steps = steps
        self.perImage = perImage
        self.blobBuffers = current
        self.outputBuffer = outputBuffer
        self.scratchCount = scratch
        self.stateCounts = steps.map { purpose == .training ? $0.kernel.stateCount : 0 }
    }

    /// The shape of one input image (batch 1).
    public var sampleShape: TensorShape { network.inputs[0].shape.withBatch(1) }

    /// Floats of output per image.
    public var outputCount: Int { perImage[outputBuffer] }

    /// The shape of one image's output.
    public var outputShape: TensorShape { shapes.blobs[outputName] ?? [1, outputCount] }
}
