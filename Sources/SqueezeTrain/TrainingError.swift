import SqueezeData
import SqueezeModel

/// Why training, fine-tuning or a training-time evaluation could not run.
public enum TrainingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The model does not validate.
    case invalidModel(ModelError)
    /// A layer type has no backward pass (only a final Softmax is allowed, and it is dropped).
    case unsupportedLayer(name: String, type: String)
    /// The network's shape does not fit the training setup.
    case unsupportedTopology(String)
    /// Centroid fine-tuning needs weight-shared layers.
    case notQuantized(layer: String)
    /// An option is out of range.
    case invalidOption(String)
    /// The data does not fit the network (sample shape, class count) or is empty.
    case dataMismatch(String)
    /// The data could not be read.
    case data(DataError)
    /// The loss became NaN or infinite: the learning rate is too high.
    case diverged(epoch: Int, batch: Int)
    /// Training would need more memory than the limit allows.
    case resource(ResourceError)

    public var description: String {
        switch self {
        case .invalidModel(let e): "invalid model: \(e)"
        case .unsupportedLayer(let name, let type):
            "layer '\(name)' (\(type)) cannot be trained: it has no backward pass"
        case .unsupportedTopology(let reason): "the network cannot be trained: \(reason)"
        case .notQuantized(let layer): "layer '\(layer)' is not weight-shared; quantize it before fine-tuning centroids"
        case .invalidOption(let reason): reason
        case .dataMismatch(let reason): reason
        case .data(let e): e.description
        case .resource(let e): e.description
        case .diverged(let epoch, let batch):
            "the loss diverged (not finite) in epoch \(epoch), batch \(batch); lower the learning rate"
        }
    }
}
