import SqueezeKernels

/// A 2-D convolution, optionally grouped (depthwise when every group is one
/// channel), with dilation and padding that may differ before and after.
///
/// Weights `[outputChannels, inputChannels / groups, kh, kw]`, bias `[outputChannels]`.
public struct Convolution: WeightedOperator, Hashable {
    public static let typeName = "Convolution"

    /// The number of output channels.
    public var outputChannels: Int
    /// The kernel size.
    public var kernel: Spatial
    /// The stride.
    public var stride: Spatial
    /// Zero padding before the first row and column.
    public var padding: Spatial
    /// Zero padding after the last row and column.
    public var paddingEnd: Spatial
    /// The dilation (1 for an ordinary convolution).
    public var dilation: Spatial
    /// The number of groups; input and output channels must both divide by it.
    public var groups: Int
    /// Whether a bias is added.
    public var hasBias: Bool

    /// A convolution; stride, dilation and groups default to 1, padding to 0,
    /// and the padding after to the padding before.
    public init(outputChannels: Int, kernel: Spatial, stride: Spatial = Spatial(1), padding: Spatial = Spatial(0),
                paddingEnd: Spatial? = nil, dilation: Spatial = Spatial(1), groups: Int = 1, hasBias: Bool = true) {
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.paddingEnd = paddingEnd ?? padding
        self.dilation = dilation
        self.groups = groups
        self.hasBias = hasBias
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        outputChannels = try r.int("num_output")
        kernel = try Spatial(pair: r.ints("kernel", default: []), "kernel")
        stride = try Spatial(pair: r.ints("stride", default: [1, 1]), "stride")
        let pads = try r.ints("pads", default: [0, 0, 0, 0])
        guard pads.count == 4 else { throw AttributeError("attribute 'pads' needs 4 values (top, left, bottom, right)") }
        padding = Spatial(height: pads[0], width: pads[1])
        paddingEnd = Spatial(height: pads[2], width: pads[3])
        dilation = try Spatial(pair: r.ints("dilation", default: [1, 1]), "dilation")
        groups = try r.int("group", default: 1)
        hasBias = try r.bool("bias", default: true)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("num_output", outputChannels)
        a.set("kernel", kernel.pair)
        a.set("stride", stride.pair, default: [1, 1])
        a.set("pads", padding.pair + paddingEnd.pair, default: [0, 0, 0, 0])
        a.set("dilation", dilation.pair, default: [1, 1])
        a.set("group", groups, default: 1)
        a.set("bias", hasBias, default: true)
        return a
    }

    /// Whether each group is one input channel.
    public func isDepthwise(inputChannels: Int) -> Bool { groups > 1 && groups == inputChannels }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let x = inputs[0]
        try check.fourDimensional(x, "convolution")
        let limit = SizeLimits.maximumDimension
        try check.within([outputChannels], 1...limit, "num_output")
        try check.within(kernel.pair, 1...limit, "kernel size")
        try check.within(stride.pair, 1...limit, "stride")
        try check.within(padding.pair + paddingEnd.pair, 0...limit, "padding")
        try check.within(dilation.pair, 1...limit, "dilation")
        try check.within([groups], 1...limit, "group")
        guard x.channels % groups == 0, outputChannels % groups == 0 else {
            throw check.invalid("group \(groups) must divide input channels \(x.channels) and num_output \(outputChannels)")
        }
        let oh = try check.convolvedSize(x.height, kernel: kernel.height, stride: stride.height, padding: padding.height,
                                         paddingEnd: paddingEnd.height, dilation: dilation.height)
        let ow = try check.convolvedSize(x.width, kernel: kernel.width, stride: stride.width, padding: padding.width,
                                         paddingEnd: paddingEnd.width, dilation: dilation.width)
        return LayerShapes(inputs: inputs, outputs: [[x.batch, outputChannels, oh, ow]],
                           weight: [outputChannels, x.channels / groups, kernel.height, kernel.width],
                           biasCount: hasBias ? outputChannels : 0)
    }

    public func multiplyAccumulates(_ shapes: LayerShapes) -> Int {
        let y = shapes.outputs[0]
        return Checked.saturatingProduct([shapes.weightCount, y.batch, y.height, y.width])
    }

    /// The geometry of one group applied to an input of `shape` (NCHW).
    public func geometry(input shape: TensorShape) -> ConvolutionGeometry {
        ConvolutionGeometry(
            channels: shape.channels / groups, height: shape.height, width: shape.width,
            kernelHeight: kernel.height, kernelWidth: kernel.width, strideHeight: stride.height, strideWidth: stride.width,
            padHeight: padding.height, padWidth: padding.width, padBottom: paddingEnd.height, padRight: paddingEnd.width,
            dilationHeight: dilation.height, dilationWidth: dilation.width)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        Kernel(geometry: geometry(input: shapes.inputs[0]), groups: groups, outputChannels: outputChannels)
    }

    /// im2col (skipped for pointwise kernels) and one GEMM per image and group.
    private struct Kernel: LayerKernel {
        let geometry: ConvolutionGeometry
        let groups: Int
        let outputChannels: Int

        var scratchCount: Int {
            geometry.isPointwise ? 0 : Checked.saturatingMultiply(geometry.columnRows, geometry.columnCount)
        }

        func forward(_ a: ForwardArguments) {
            convolve(geometry, images: a.count, groups: groups, outputChannels: outputChannels, weights: a.weights!,
                     bias: a.bias, input: a.inputs[0], output: a.outputs[0], columns: a.scratch ?? a.outputs[0])
        }

        /// dW += dY col^T, dB += row sums of dY, dX += col2im(W^T dY), per image and group.
        func backward(_ a: BackwardArguments) {
            let g = geometry
            let n = g.columnCount, k = g.columnRows, m = outputChannels / groups
            let groupInput = g.channels * g.height * g.width
            let w = a.weights!, dw = a.weightGradient!
            for image in 0..<a.count {
                for group in 0..<groups {
                    let source = a.inputs[0] + (image * groups + group) * groupInput
                    let dyg = a.outputGradients[0] + image * outputChannels * n + group * m * n
                    let cols: UnsafePointer<Float>
                    if g.isPointwise {
                        cols = source
                    } else {
                        im2col(g, input: source, columns: a.scratch!)
                        cols = UnsafePointer(a.scratch!)
                    }
                    BLAS.gemm(transposeB: true, m: m, n: k, k: n, a: dyg, lda: n, b: cols, ldb: n,
                              beta: 1, c: dw + group * m * k, ldc: k)
                    if let db = a.biasGradient { accumulateRowSums(rows: m, columns: n, matrix: dyg, sums: db + group * m) }
                    guard let dx = a.inputGradients[0] else { continue }
                    let dxg = dx + (image * groups + group) * groupInput
                    if g.isPointwise {
                        BLAS.gemm(transposeA: true, m: k, n: n, k: m, a: w + group * m * k, lda: k, b: dyg, ldb: n,
                                  beta: 1, c: dxg, ldc: n)
                    } else {
                        BLAS.gemm(transposeA: true, m: k, n: n, k: m, a: w + group * m * k, lda: k, b: dyg, ldb: n,
                                  beta: 0, c: a.secondScratch!, ldc: n)
                        col2im(g, columns: UnsafePointer(a.secondScratch!), input: dxg)
                    }
                }
            }
        }
    }
}

extension Spatial {
    /// `[height, width]`.
    public var pair: [Int] { [height, width] }

    /// A pair from `[height, width]` or `[both]`.
    public init(pair values: [Int], _ what: String) throws(AttributeError) {
        switch values.count {
        case 1: self.init(values[0])
        case 2: self.init(height: values[0], width: values[1])
        default: throw AttributeError("attribute '\(what)' needs 1 or 2 values, has \(values.count)")
        }
    }
}
