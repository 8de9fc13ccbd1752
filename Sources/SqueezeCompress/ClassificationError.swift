import SqueezeModel

/// Why images cannot be classified or evaluated with a model.
public enum ClassificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Classification runs engines of batch size 1.
    case batchSize(Int)
    /// The network's input does not take the preprocessed image.
    case inputMismatch(network: TensorShape, preprocessing: [Int])
    /// The network's output has fewer classes than asked for.
    case classCount(network: Int, synsets: Int)
    /// `--top` (or `k`) out of range.
    case invalidTop(Int)
    /// `threads` out of range.
    case invalidThreads(Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .batchSize(let size):
            "classification runs one image at a time, the engine has batch size \(size)"
        case .inputMismatch(let network, let preprocessing):
            "the network takes \(network.dimensions.dropFirst().map(String.init).joined(separator: "x")) inputs, "
                + "preprocessing makes \(preprocessing.map(String.init).joined(separator: "x"))"
        case .classCount(let network, let synsets):
            "the network scores \(network) classes but the synsets file lists \(synsets)"
        case .invalidTop(let k):
            "top-k must be between 1 and the number of classes, got \(k)"
        case .invalidThreads(let n):
            "threads must be between 1 and 256, got \(n)"
        }
    }
}
