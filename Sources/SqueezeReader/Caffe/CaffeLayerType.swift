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
    /// `Input`: declares a network input instead of computing anything.
    case input = "Input"

    /// Every supported type name, for error messages.
    public static var supportedNames: [String] { allCases.map(\.rawValue) }
}
