/// The Caffe layer types SqueezeCompress runs, by their `type:` string.
public enum CaffeLayerType: String, CaseIterable, Sendable {
    /// `Convolution`.
    case convolution = "Convolution"
    /// `InnerProduct`.
    case innerProduct = "InnerProduct"
    /// `ReLU`.
    case relu = "ReLU"
    /// `Pooling`.
    case pooling = "Pooling"
    /// `Concat`.
    case concat = "Concat"
    /// `Dropout`.
    case dropout = "Dropout"
    /// `LRN`.
    case lrn = "LRN"
    /// `Softmax`.
    case softmax = "Softmax"
    /// `BatchNorm`: normalisation by stored statistics (folded into the convolution before).
    case batchNorm = "BatchNorm"
    /// `Scale`: a per-channel scale and optional bias (folded as well).
    case scale = "Scale"
    /// `Eltwise`: SUM (with coefficients 1 or 1, -1), PROD or MAX of its inputs.
    case eltwise = "Eltwise"
    /// `ReLU6` (MobileNet ports): `min(max(x, 0), 6)`.
    case relu6 = "ReLU6"
    /// `Sigmoid`.
    case sigmoid = "Sigmoid"
    /// `Clip`: `min(max(x, min), max)`.
    case clip = "Clip"
    /// `DepthwiseConvolution` and `ConvolutionDepthwise` (MobileNet ports): a
    /// convolution with one group per channel.
    case depthwiseConvolution = "DepthwiseConvolution"
    /// The other spelling of the same layer.
    case convolutionDepthwise = "ConvolutionDepthwise"
    /// `Input`: declares a network input instead of computing anything.
    case input = "Input"

    /// Every supported type name, for error messages.
    public static var supportedNames: [String] { allCases.map(\.rawValue) }
}
