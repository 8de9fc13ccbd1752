/// Checks operators share when inferring shapes; every failure names the layer.
public struct ShapeCheck {
    /// The layer being checked.
    public var layer: String

    /// A check for `layer`.
    public init(layer: String) { self.layer = layer }

    /// Refuses a number of inputs outside `range`.
    public func arity(_ inputs: [TensorShape], _ range: ClosedRange<Int>) throws(ModelError) {
        guard inputs.count <= SizeLimits.maximumLayerArity else {
            throw .wrongArity(layer: layer, expected: "at most \(SizeLimits.maximumLayerArity) inputs", actual: inputs.count)
        }
        guard range.contains(inputs.count) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound) input(s)"
                : range.upperBound >= SizeLimits.maximumLayerArity ? "at least \(range.lowerBound) inputs"
                : "\(range.lowerBound) to \(range.upperBound) inputs"
            throw .wrongArity(layer: layer, expected: expected, actual: inputs.count)
        }
    }

    /// An invalid-parameter error.
    public func invalid(_ reason: String) -> ModelError { .invalidParameter(layer: layer, reason: reason) }

    /// A shape-mismatch error.
    public func mismatch(_ reason: String) -> ModelError { .shapeMismatch(layer: layer, reason: reason) }

    /// A too-large error.
    public func tooLarge(_ reason: String) -> ModelError { .tooLarge(layer: layer, reason: reason) }

    /// Refuses an input that is not NCHW.
    public func fourDimensional(_ x: TensorShape, _ what: String) throws(ModelError) {
        guard x.rank == 4 else { throw mismatch("\(what) needs an NCHW input, got \(x)") }
    }

    /// Refuses values outside `range` (all values are named `what`).
    public func within(_ values: [Int], _ range: ClosedRange<Int>, _ what: String) throws(ModelError) {
        if let bad = values.first(where: { !range.contains($0) }) {
            if bad > SizeLimits.maximumDimension {
                throw invalid("\(what) \(bad) is more than the \(SizeLimits.maximumDimension) allowed")
            }
            throw invalid("\(what) \(bad) is outside \(range.lowerBound)...\(range.upperBound)")
        }
    }

    /// `axis` in `-rank..<rank` made non-negative, refused otherwise.
    public func axis(_ axis: Int, rank: Int, _ what: String) throws(ModelError) -> Int {
        guard let a = Layer.normalizedAxis(axis, rank: rank) else {
            throw invalid("\(what) axis \(axis) is outside a rank-\(rank) input")
        }
        return a
    }

    /// A product of dimensions, refused when it overflows.
    public func product(_ values: [Int], _ what: String) throws(ModelError) -> Int {
        guard let p = Checked.product(values) else { throw tooLarge("\(what) overflows") }
        return p
    }

    /// Output extent of a convolution along one axis (floor rounding), with
    /// checked arithmetic: every operand may come from a file.
    public func convolvedSize(_ size: Int, kernel: Int, stride: Int, padding: Int, paddingEnd: Int,
                              dilation: Int) throws(ModelError) -> Int {
        guard let extent = Checked.multiply(dilation, kernel - 1).flatMap({ Checked.add($0, 1) }),
              let padded = Checked.add(padding, paddingEnd).flatMap({ Checked.add(size, $0) })
        else {
            throw tooLarge("kernel \(kernel), dilation \(dilation) and padding \(padding) overflow the size arithmetic")
        }
        guard padded >= extent else {
            throw mismatch("kernel extent \(extent) exceeds padded input \(padded)")
        }
        return (padded - extent) / stride + 1
    }

    /// Output extent of pooling along one axis. The last window must start
    /// inside the input or its leading padding, as PyTorch and ONNX require
    /// (Caffe checks that only with padding). Operands are at most 2^31 - 1
    /// (checked by the caller), so sums of three fit.
    public func pooledSize(_ size: Int, kernel: Int, stride: Int, padding: Int, paddingEnd: Int,
                           ceil: Bool) throws(ModelError) -> Int {
        let span = size + padding + paddingEnd - kernel
        guard span >= 0 else {
            throw mismatch("pooling kernel \(kernel) exceeds padded input \(size + padding + paddingEnd)")
        }
        var out = ceil ? (span + stride - 1) / stride + 1 : span / stride + 1
        if (out - 1) * stride >= size + padding { out -= 1 }
        return out
    }
}

extension Layer {
    /// An axis in `-rank..<rank` made non-negative, or nil when out of range.
    public static func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(a) ? a : nil
    }
}

extension LayerShapes {
    /// Shapes of an operator without weights.
    public init(inputs: [TensorShape], outputs: [TensorShape]) {
        self.init(inputs: inputs, outputs: outputs, weight: nil, biasCount: 0)
    }
}
