/// What a layer computes, with its hyper-parameters.
///
/// The set is the one Caffe-era classification networks need (SqueezeNet, AlexNet,
/// LeNet). Every case runs in the dense reference executor.
public enum LayerKind: Hashable, Sendable, Codable {
    /// A 2-D convolution, optionally grouped.
    case convolution(ConvolutionParameters)
    /// A fully connected layer over everything after the batch axis.
    case innerProduct(InnerProductParameters)
    /// `max(x, 0) + negativeSlope * min(x, 0)`.
    case relu(negativeSlope: Float)
    /// Max or average pooling, windowed or global.
    case pooling(PoolingParameters)
    /// Concatenation of the inputs along `axis`.
    case concat(axis: Int)
    /// Dropout: the identity at inference (Caffe scales at training time).
    case dropout(ratio: Float)
    /// Local response normalisation.
    case lrn(LRNParameters)
    /// Softmax along `axis`.
    case softmax(axis: Int)

    /// The Caffe type name (`Convolution`, `ReLU`, ...).
    public var typeName: String {
        switch self {
        case .convolution: "Convolution"
        case .innerProduct: "InnerProduct"
        case .relu: "ReLU"
        case .pooling: "Pooling"
        case .concat: "Concat"
        case .dropout: "Dropout"
        case .lrn: "LRN"
        case .softmax: "Softmax"
        }
    }

    /// Whether the layer has learned weights.
    public var hasWeights: Bool {
        switch self {
        case .convolution, .innerProduct: true
        default: false
        }
    }

    /// Whether the layer may overwrite its input (Caffe's in-place `top == bottom`).
    public var canRunInPlace: Bool {
        switch self {
        case .relu, .dropout: true
        default: false
        }
    }
}

/// Hyper-parameters of a convolution.
public struct ConvolutionParameters: Hashable, Sendable, Codable {
    /// The number of output channels.
    public var outputChannels: Int
    /// The kernel size.
    public var kernel: Spatial
    /// The stride.
    public var stride: Spatial
    /// Zero padding on each side.
    public var padding: Spatial
    /// The dilation (1 for an ordinary convolution).
    public var dilation: Spatial
    /// The number of groups; input and output channels must both divide by it.
    public var groups: Int
    /// Whether a bias is added.
    public var hasBias: Bool

    /// A convolution; stride, dilation and groups default to 1, padding to 0.
    public init(
        outputChannels: Int, kernel: Spatial, stride: Spatial = Spatial(1),
        padding: Spatial = Spatial(0), dilation: Spatial = Spatial(1),
        groups: Int = 1, hasBias: Bool = true
    ) {
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.hasBias = hasBias
    }
}

/// Hyper-parameters of a fully connected layer.
public struct InnerProductParameters: Hashable, Sendable, Codable {
    /// The number of outputs.
    public var outputCount: Int
    /// Whether a bias is added.
    public var hasBias: Bool

    /// A fully connected layer.
    public init(outputCount: Int, hasBias: Bool = true) {
        self.outputCount = outputCount
        self.hasBias = hasBias
    }
}

/// Hyper-parameters of a pooling layer.
public struct PoolingParameters: Hashable, Sendable, Codable {
    /// How a window is reduced.
    public enum Method: String, Hashable, Sendable, Codable {
        /// The largest value.
        case max
        /// The mean, counting padding inside the padded input (Caffe's convention).
        case average
    }

    /// How the output size is rounded when the windows do not tile the input.
    public enum RoundingMode: String, Hashable, Sendable, Codable {
        /// Caffe's default: a last partial window is kept.
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
    /// Zero padding on each side.
    public var padding: Spatial
    /// Whether the window is the whole feature map.
    public var isGlobal: Bool
    /// How the output size is rounded.
    public var rounding: RoundingMode

    /// A pooling layer; Caffe rounds output sizes up.
    public init(
        method: Method, kernel: Spatial = Spatial(1), stride: Spatial = Spatial(1),
        padding: Spatial = Spatial(0), isGlobal: Bool = false, rounding: RoundingMode = .ceil
    ) {
        self.method = method
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.isGlobal = isGlobal
        self.rounding = rounding
    }
}

/// Hyper-parameters of local response normalisation.
public struct LRNParameters: Hashable, Sendable, Codable {
    /// Which neighbours a value is normalised over.
    public enum Region: String, Hashable, Sendable, Codable {
        /// `localSize` adjacent channels at the same position.
        case acrossChannels
        /// A `localSize x localSize` window in the same channel.
        case withinChannel
    }

    /// The neighbourhood size (odd).
    public var localSize: Int
    /// The scale of the sum of squares.
    public var alpha: Float
    /// The exponent.
    public var beta: Float
    /// The additive constant.
    public var k: Float
    /// Which neighbours are used.
    public var region: Region

    /// An LRN layer with Caffe's defaults.
    public init(localSize: Int = 5, alpha: Float = 1, beta: Float = 0.75, k: Float = 1, region: Region = .acrossChannels) {
        self.localSize = localSize
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.region = region
    }
}
