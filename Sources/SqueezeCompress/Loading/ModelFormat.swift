import Foundation

/// The model files SqueezeCompress opens, recognised by extension.
public enum ModelFormat: String, CaseIterable, Sendable, Codable {
    /// The Deep-Compression release's `.net` weights (needs a prototxt).
    case deepCompression = "net"
    /// Caffe's binary `.caffemodel` weights (needs a prototxt).
    case caffeModel = "caffemodel"
    /// SqueezeCompress's own container: network and parameters together.
    case squeeze = "sqz"
    /// An ONNX model (opsets 11 to 21): network and initializers together.
    case onnx = "onnx"

    /// The format of `url`, from its extension.
    public init?(url: URL) {
        self.init(rawValue: url.pathExtension.lowercased())
    }

    /// Whether the weights need a separate network definition.
    public var needsDefinition: Bool {
        switch self {
        case .deepCompression, .caffeModel: true
        case .squeeze, .onnx: false
        }
    }

    /// A human name for messages.
    public var displayName: String {
        switch self {
        case .deepCompression: "Deep-Compression .net"
        case .caffeModel: "Caffe .caffemodel"
        case .squeeze: ".sqz container"
        case .onnx: "ONNX"
        }
    }
}
