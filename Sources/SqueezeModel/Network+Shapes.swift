/// The shapes one layer reads, writes and learns, for a given input shape.
public struct LayerShapes: Hashable, Sendable {
    /// The shapes of the bottoms, in order.
    public var inputs: [TensorShape]
    /// The shapes of the tops, in order.
    public var outputs: [TensorShape]
    /// The weight tensor's shape, for weighted layers.
    public var weight: TensorShape?
    /// The number of biases (0 without bias).
    public var biasCount: Int

    /// The number of learned parameters: weights and biases.
    public var parameterCount: Int { (weight?.elementCount ?? 0) + biasCount }

    /// The number of weights (without biases).
    public var weightCount: Int { weight?.elementCount ?? 0 }
}

/// Every layer's shapes for one input shape.
public struct NetworkShapes: Hashable, Sendable {
    /// The batch size the shapes were inferred for.
    public var batchSize: Int
    /// Per layer, in the network's layer order.
    public var layers: [LayerShapes]
    /// The newest shape of each blob after the whole network ran.
    public var blobs: [String: TensorShape]

    /// The total number of learned parameters.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// The total number of weights (without biases).
    public var weightCount: Int { layers.reduce(0) { $0 + $1.weightCount } }
}

extension Network {
    /// Infers every blob's shape from the inputs and checks each layer's parameters.
    ///
    /// - Parameter batchSize: overrides the batch dimension of the inputs.
    /// - Throws: `ModelError` naming the first layer that does not fit.
    public func inferShapes(batchSize: Int? = nil) throws(ModelError) -> NetworkShapes {
        guard !inputs.isEmpty else { throw .invalidInput("the network has no inputs") }
        guard layers.count <= SizeLimits.maximumLayerCount else {
            throw .invalidInput("the network has \(layers.count) layers, more than the \(SizeLimits.maximumLayerCount) allowed")
        }
        if let batchSize, !(1...SizeLimits.maximumDimension).contains(batchSize) {
            throw .invalidInput("batch size \(batchSize) is outside 1...\(SizeLimits.maximumDimension)")
        }
        var blobs: [String: TensorShape] = [:]
        for input in inputs {
            var shape = input.shape
            if let batchSize { shape = shape.withBatch(batchSize) }
            guard shape.rank >= 1 else { throw .invalidInput("'\(input.name)' has no dimensions") }
            if let failure = shape.limitFailure { throw .invalidInput("'\(input.name)': \(failure)") }
            blobs[input.name] = shape
        }
        var names = Set<String>()
        var result: [LayerShapes] = []
        result.reserveCapacity(layers.count)
        for layer in layers {
            guard names.insert(layer.name).inserted else { throw .duplicateLayerName(layer.name) }
            var inputShapes: [TensorShape] = []
            for bottom in layer.bottoms {
                guard let shape = blobs[bottom] else { throw .unknownBlob(layer: layer.name, blob: bottom) }
                inputShapes.append(shape)
            }
            let shapes = try layer.shapes(for: inputShapes)
            for shape in shapes.outputs + (shapes.weight.map { [$0] } ?? []) {
                if let failure = shape.limitFailure { throw .tooLarge(layer: layer.name, reason: failure) }
            }
            for (top, shape) in zip(layer.tops, shapes.outputs) { blobs[top] = shape }
            result.append(shapes)
        }
        let batch = batchSize ?? inputs[0].shape.batch
        return NetworkShapes(batchSize: batch, layers: result, blobs: blobs)
    }
}

extension Layer {
    /// The layer's output, weight and bias shapes for the given input shapes.
    ///
    /// - Throws: `ModelError` when the parameters are invalid or do not fit the inputs.
    public func shapes(for inputs: [TensorShape]) throws(ModelError) -> LayerShapes {
        let shapes = try kind.shapes(for: inputs, layer: name)
        guard tops.count == shapes.outputs.count else {
            throw .wrongArity(layer: name, expected: "\(shapes.outputs.count) output(s)", actual: tops.count)
        }
        return shapes
    }

    /// Multiply-accumulates per batch of `shapes`, every weight kept.
    public func multiplyAccumulates(_ shapes: LayerShapes) -> Int { kind.multiplyAccumulates(shapes) }
}
