import SqueezeExecutor
import SqueezeModel

/// Which forward pass runs a model.
public enum EngineKind: String, CaseIterable, Sendable, Codable {
    /// The float32 reference: weights expanded, im2col + BLAS GEMM.
    case dense
}

extension Model {
    /// Compiles the model for `engine` at `batchSize`, ready to make one engine per thread.
    public func engineFactory(_ engine: EngineKind = .dense, batchSize: Int = 1) throws(ExecutorError) -> any InferenceEngineFactory {
        switch engine {
        case .dense: try DenseProgram(model: self, batchSize: batchSize)
        }
    }
}
