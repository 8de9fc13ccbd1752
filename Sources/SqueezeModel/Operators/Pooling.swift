import SqueezeKernels

/// Max or average pooling, windowed or global.
///
/// Windows are clipped to the input, so padding never wins a maximum; an
/// average divides by the window clipped to the padded input (Caffe, ONNX
/// `count_include_pad=1`) or, with `countsPadding` false, by the values it covers.
public struct Pooling: Operator, Hashable {
    public static let typeName = "Pooling"

    /// How a window is reduced.
    public enum Method: String, Hashable, Sendable, CaseIterable {
        /// The largest value.
        case max
        /// The mean.
        case average
    }

    /// How the output size is rounded when the windows do not tile the input.
    public enum RoundingMode: String, Hashable, Sendable, CaseIterable {
        /// Caffe's default (ONNX `ceil_mode=1`): a last partial window is kept.
        case ceil
        /// A last partial window is dropped.
        case floor
    }

    /// How a window is reduced.
    public var method: Method
    /// The window size (ignored when `isGlobal`).
    public var kernel: Spatial
    /// The stride (ignored when `isGlobal`).
    public var stride: Spatial
    /// Padding before the first row and column.
    public var padding: Spatial
    /// Padding after the last row and column.
    public var paddingEnd: Spatial
    /// Whether the window is the whole feature map.
    public var isGlobal: Bool
    /// How the output size is rounded.
    public var rounding: RoundingMode
    /// Whether an average counts padding in its divisor.
    public var countsPadding: Bool

    /// A pooling layer; Caffe rounds output sizes up and counts padding.
    public init(method: Method, kernel: Spatial = Spatial(1), stride: Spatial = Spatial(1), padding: Spatial = Spatial(0),
                paddingEnd: Spatial? = nil, isGlobal: Bool = false, rounding: RoundingMode = .ceil, countsPadding: Bool = true) {
        self.method = method
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.paddingEnd = paddingEnd ?? padding
        self.isGlobal = isGlobal
        self.rounding = rounding
        self.countsPadding = countsPadding
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        method = try r.choice("method", default: Method.max)
        isGlobal = try r.bool("global", default: false)
        kernel = try Spatial(pair: r.ints("kernel", default: [1, 1]), "kernel")
        stride = try Spatial(pair: r.ints("stride", default: [1, 1]), "stride")
        let pads = try r.ints("pads", default: [0, 0, 0, 0])
        guard pads.count == 4 else { throw AttributeError("attribute 'pads' needs 4 values (top, left, bottom, right)") }
        padding = Spatial(height: pads[0], width: pads[1])
        paddingEnd = Spatial(height: pads[2], width: pads[3])
        rounding = try r.choice("rounding", default: RoundingMode.ceil)
        countsPadding = try r.bool("count_include_pad", default: true)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("method", method.rawValue)
        a.set("global", isGlobal, default: false)
        if !isGlobal {
            a.set("kernel", kernel.pair, default: [1, 1])
            a.set("stride", stride.pair, default: [1, 1])
        }
        a.set("pads", padding.pair + paddingEnd.pair, default: [0, 0, 0, 0])
        a.set("rounding", rounding.rawValue, default: RoundingMode.ceil.rawValue)
        a.set("count_include_pad", countsPadding, default: true)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let x = inputs[0]
        try check.fourDimensional(x, "pooling")
        if isGlobal { return LayerShapes(inputs: inputs, outputs: [[x.batch, x.channels, 1, 1]]) }
        let limit = SizeLimits.maximumDimension
        try check.within(kernel.pair, 1...limit, "kernel size")
        try check.within(stride.pair, 1...limit, "stride")
        try check.within(padding.pair + paddingEnd.pair, 0...limit, "padding")
        guard padding.height < kernel.height, padding.width < kernel.width,
              paddingEnd.height < kernel.height, paddingEnd.width < kernel.width else {
            throw check.invalid("padding must be non-negative and smaller than the kernel")
        }
        let oh = try check.pooledSize(x.height, kernel: kernel.height, stride: stride.height, padding: padding.height,
                                      paddingEnd: paddingEnd.height, ceil: rounding == .ceil)
        let ow = try check.pooledSize(x.width, kernel: kernel.width, stride: stride.width, padding: padding.width,
                                      paddingEnd: paddingEnd.width, ceil: rounding == .ceil)
        return LayerShapes(inputs: inputs, outputs: [[x.batch, x.channels, oh, ow]])
    }

    /// The geometry from the input and output shapes; global pooling is one
    /// window over the plane.
    public func geometry(input x: TensorShape, output y: TensorShape) -> PoolingGeometry {
        if isGlobal {
            return PoolingGeometry(height: x.height, width: x.width, outputHeight: 1, outputWidth: 1,
                                   kernelHeight: x.height, kernelWidth: x.width, strideHeight: 1, strideWidth: 1,
                                   padHeight: 0, padWidth: 0)
        }
        return PoolingGeometry(height: x.height, width: x.width, outputHeight: y.height, outputWidth: y.width,
                               kernelHeight: kernel.height, kernelWidth: kernel.width,
                               strideHeight: stride.height, strideWidth: stride.width,
                               padHeight: padding.height, padWidth: padding.width,
                               padBottom: paddingEnd.height, padRight: paddingEnd.width, countsPadding: countsPadding)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0], y = shapes.outputs[0]
        return Kernel(geometry: geometry(input: x, output: y), channels: x.channels, method: method,
                      globalAverage: isGlobal && method == .average)
    }

    private struct Kernel: LayerKernel {
        let geometry: PoolingGeometry
        let channels: Int
        let method: Method
        let globalAverage: Bool

        var stateCount: Int { method == .max ? channels * geometry.outputHeight * geometry.outputWidth : 0 }

        func forward(_ a: ForwardArguments) {
            let planes = a.count * channels, g = geometry
            switch method {
            case .max:
                if let state = a.state {
                    maxPool(g, planes: planes, input: a.inputs[0], output: a.outputs[0],
                            argmax: state.assumingMemoryBound(to: Int32.self))
                } else {
                    maxPool(g, planes: planes, input: a.inputs[0], output: a.outputs[0])
                }
            case .average where globalAverage:
                globalAveragePool(planes: planes, planeSize: g.height * g.width, input: a.inputs[0], output: a.outputs[0])
            case .average:
                averagePool(g, planes: planes, input: a.inputs[0], output: a.outputs[0])
            }
        }

        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            let planes = a.count * channels, g = geometry
            switch method {
            case .max:
                maxPoolBackward(g, planes: planes, argmax: a.state!.assumingMemoryBound(to: Int32.self),
                                outputGradient: a.outputGradients[0], inputGradient: dx)
            case .average where globalAverage:
                globalAveragePoolBackward(planes: planes, planeSize: g.height * g.width,
                                          outputGradient: a.outputGradients[0], inputGradient: dx)
            case .average:
                averagePoolBackward(g, planes: planes, outputGradient: a.outputGradients[0], inputGradient: dx)
            }
        }
    }
}
