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
        func arity(_ bottoms: ClosedRange<Int>, tops: Int = 1) throws(ModelError) {
            guard inputs.count <= SizeLimits.maximumLayerArity else {
                throw .wrongArity(layer: name, expected: "at most \(SizeLimits.maximumLayerArity) inputs", actual: inputs.count)
            }
            guard bottoms.contains(inputs.count) else {
                let expected = bottoms.lowerBound == bottoms.upperBound
                    ? "\(bottoms.lowerBound) input(s)" : "at least \(bottoms.lowerBound) inputs"
                throw .wrongArity(layer: name, expected: expected, actual: inputs.count)
            }
            guard self.tops.count == tops else {
                throw .wrongArity(layer: name, expected: "\(tops) output(s)", actual: self.tops.count)
            }
        }
        func invalid(_ reason: String) -> ModelError { .invalidParameter(layer: name, reason: reason) }
        func mismatch(_ reason: String) -> ModelError { .shapeMismatch(layer: name, reason: reason) }

        switch kind {
        case .convolution(let p):
            try arity(1...1)
            let x = inputs[0]
            guard x.rank == 4 else { throw mismatch("convolution needs an NCHW input, got \(x)") }
            guard p.outputChannels > 0 else { throw invalid("num_output must be positive") }
            guard p.kernel.height > 0, p.kernel.width > 0 else { throw invalid("kernel size must be positive") }
            guard p.stride.height > 0, p.stride.width > 0 else { throw invalid("stride must be positive") }
            guard p.padding.height >= 0, p.padding.width >= 0 else { throw invalid("padding must not be negative") }
            guard p.dilation.height > 0, p.dilation.width > 0 else { throw invalid("dilation must be positive") }
            for (what, value) in [("num_output", p.outputChannels), ("kernel size", max(p.kernel.height, p.kernel.width)),
                                  ("stride", max(p.stride.height, p.stride.width)),
                                  ("padding", max(p.padding.height, p.padding.width)),
                                  ("dilation", max(p.dilation.height, p.dilation.width)), ("group", p.groups)]
            where value > SizeLimits.maximumDimension {
                throw invalid("\(what) \(value) is more than the \(SizeLimits.maximumDimension) allowed")
            }
            guard p.groups > 0, x.channels % p.groups == 0, p.outputChannels % p.groups == 0 else {
                throw invalid("group \(p.groups) must divide input channels \(x.channels) and num_output \(p.outputChannels)")
            }
            let oh = try Self.convolvedSize(x.height, kernel: p.kernel.height, stride: p.stride.height,
                                            padding: p.padding.height, dilation: p.dilation.height, layer: name)
            let ow = try Self.convolvedSize(x.width, kernel: p.kernel.width, stride: p.stride.width,
                                            padding: p.padding.width, dilation: p.dilation.width, layer: name)
            let weight: TensorShape = [p.outputChannels, x.channels / p.groups, p.kernel.height, p.kernel.width]
            return LayerShapes(inputs: inputs, outputs: [[x.batch, p.outputChannels, oh, ow]],
                               weight: weight, biasCount: p.hasBias ? p.outputChannels : 0)

        case .innerProduct(let p):
            try arity(1...1)
            guard p.outputCount > 0 else { throw invalid("num_output must be positive") }
            guard p.outputCount <= SizeLimits.maximumDimension else {
                throw invalid("num_output \(p.outputCount) is more than the \(SizeLimits.maximumDimension) allowed")
            }
            let x = inputs[0]
            return LayerShapes(inputs: inputs, outputs: [[x.batch, p.outputCount]],
                               weight: [p.outputCount, x.itemCount], biasCount: p.hasBias ? p.outputCount : 0)

        case .relu, .dropout:
            try arity(1...1)
            return LayerShapes(inputs: inputs, outputs: inputs, weight: nil, biasCount: 0)

        case .lrn(let p):
            try arity(1...1)
            guard inputs[0].rank == 4 else { throw mismatch("LRN needs an NCHW input, got \(inputs[0])") }
            guard p.localSize > 0, p.localSize % 2 == 1, p.localSize <= SizeLimits.maximumDimension else {
                throw invalid("LRN local_size must be odd and in 1...\(SizeLimits.maximumDimension)")
            }
            return LayerShapes(inputs: inputs, outputs: inputs, weight: nil, biasCount: 0)

        case .softmax(let axis):
            try arity(1...1)
            guard Self.normalizedAxis(axis, rank: inputs[0].rank) != nil else {
                throw invalid("softmax axis \(axis) is outside a rank-\(inputs[0].rank) input")
            }
            return LayerShapes(inputs: inputs, outputs: inputs, weight: nil, biasCount: 0)

        case .pooling(let p):
            try arity(1...1)
            let x = inputs[0]
            guard x.rank == 4 else { throw mismatch("pooling needs an NCHW input, got \(x)") }
            if p.isGlobal {
                return LayerShapes(inputs: inputs, outputs: [[x.batch, x.channels, 1, 1]], weight: nil, biasCount: 0)
            }
            guard p.kernel.height > 0, p.kernel.width > 0 else { throw invalid("kernel size must be positive") }
            guard p.stride.height > 0, p.stride.width > 0 else { throw invalid("stride must be positive") }
            for (what, value) in [("kernel size", max(p.kernel.height, p.kernel.width)),
                                  ("stride", max(p.stride.height, p.stride.width))]
            where value > SizeLimits.maximumDimension {
                throw invalid("\(what) \(value) is more than the \(SizeLimits.maximumDimension) allowed")
            }
            guard p.padding.height >= 0, p.padding.width >= 0,
                  p.padding.height < p.kernel.height, p.padding.width < p.kernel.width else {
                throw invalid("padding must be non-negative and smaller than the kernel")
            }
            let oh = try Self.pooledSize(x.height, kernel: p.kernel.height, stride: p.stride.height,
                                         padding: p.padding.height, rounding: p.rounding, layer: name)
            let ow = try Self.pooledSize(x.width, kernel: p.kernel.width, stride: p.stride.width,
                                         padding: p.padding.width, rounding: p.rounding, layer: name)
            return LayerShapes(inputs: inputs, outputs: [[x.batch, x.channels, oh, ow]], weight: nil, biasCount: 0)

        case .concat(let axis):
            try arity(1...Int.max)
            let first = inputs[0]
            guard let a = Self.normalizedAxis(axis, rank: first.rank) else {
                throw invalid("concat axis \(axis) is outside a rank-\(first.rank) input")
            }
            var output = first
            for shape in inputs.dropFirst() {
                guard shape.rank == first.rank,
                      (0..<first.rank).allSatisfy({ $0 == a || shape[$0] == first[$0] }) else {
                    throw mismatch("cannot concatenate \(first) and \(shape) along axis \(a)")
                }
                guard let sum = Checked.add(output[a], shape[a]) else {
                    throw .tooLarge(layer: name, reason: "the concatenated axis \(a) overflows")
                }
                output[a] = sum
            }
            return LayerShapes(inputs: inputs, outputs: [output], weight: nil, biasCount: 0)
        }
    }

    /// An axis in `-rank..<rank` made non-negative, or nil when out of range.
    public static func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(a) ? a : nil
    }

    /// Output extent of a convolution along one axis (floor rounding, as Caffe),
    /// with checked arithmetic: every operand may come from a file.
    static func convolvedSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                              layer: String) throws(ModelError) -> Int {
        guard let extent = Checked.multiply(dilation, kernel - 1).flatMap({ Checked.add($0, 1) }),
              let padded = Checked.multiply(2, padding).flatMap({ Checked.add(size, $0) })
        else {
            throw .tooLarge(layer: layer, reason: "kernel \(kernel), dilation \(dilation) and padding \(padding) overflow the size arithmetic")
        }
        guard padded >= extent else {
            throw .shapeMismatch(layer: layer, reason: "kernel extent \(extent) exceeds padded input \(padded)")
        }
        return (padded - extent) / stride + 1
    }

    /// Output extent of pooling along one axis. The last window must start
    /// inside the input (not only in its padding or beyond it): Caffe checks
    /// that only with padding, but without padding it fails only when the
    /// stride is longer than the kernel, where Caffe would pool an empty window;
    /// PyTorch and ONNX check it always, as here. Operands are at most
    /// 2^31 - 1 (checked by the caller), so sums of three fit.
    static func pooledSize(_ size: Int, kernel: Int, stride: Int, padding: Int,
                           rounding: PoolingParameters.RoundingMode, layer: String) throws(ModelError) -> Int {
        let span = size + 2 * padding - kernel
        guard span >= 0 else {
            throw .shapeMismatch(layer: layer, reason: "pooling kernel \(kernel) exceeds padded input \(size + 2 * padding)")
        }
        var out: Int
        switch rounding {
        case .ceil: out = (span + stride - 1) / stride + 1
        case .floor: out = span / stride + 1
        }
        if (out - 1) * stride >= size + padding { out -= 1 }
        return out
    }
}
