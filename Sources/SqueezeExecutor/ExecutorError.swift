import SqueezeModel

/// Why a model cannot be prepared for execution or run.
public enum ExecutorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The model does not validate.
    case invalidModel(ModelError)
    /// The executor supports exactly one network input and one output.
    case unsupportedTopology(String)
    /// A layer's configuration is not supported by this executor.
    case unsupportedLayer(layer: String, reason: String)
    /// The input buffer does not have the size of one batch.
    case inputSize(expected: Int, actual: Int)
    /// The output buffer does not have the size of one batch of outputs.
    case outputSize(expected: Int, actual: Int)
    /// The batch size is out of range.
    case invalidBatchSize(Int)
    /// The thread count is out of range.
    case invalidThreadCount(Int)
    /// The dense engine needs OpenBLAS, and it cannot be opened.
    case blasUnavailable(String)
    /// The processor cannot run the requested sparse kernel set.
    case kernelsUnsupported(SparseKernelSet)
    /// The engine would need more memory than the limit allows.
    case resource(ResourceError)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalidModel(let error): "invalid model: \(error)"
        case .unsupportedTopology(let reason): "unsupported network: \(reason)"
        case .unsupportedLayer(let layer, let reason): "layer '\(layer)' is not supported: \(reason)"
        case .inputSize(let expected, let actual): "input has \(actual) values, the network takes \(expected)"
        case .outputSize(let expected, let actual): "output buffer has room for \(actual) values, the network gives \(expected)"
        case .invalidBatchSize(let size): "batch size \(size) is outside 1...4096"
        case .invalidThreadCount(let count): "thread count \(count) is outside 1...256"
        case .blasUnavailable(let reason): reason
        case .resource(let error): error.description
        case .kernelsUnsupported(let set):
            "this processor cannot run the \(set) kernels (it runs: \(SparseKernelSet.supported.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}
