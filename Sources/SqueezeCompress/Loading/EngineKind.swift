import SqueezeExecutor
import SqueezeModel

/// Which forward pass runs a model.
public enum EngineKind: String, CaseIterable, Sendable, Codable {
    /// The float32 reference: weights expanded, im2col + BLAS GEMM.
    case dense
    /// Weights kept compressed (codebook indices and relative positions),
    /// decoded row by row while running; no dense weight tensor is made.
    case compressed

    /// The engine used when none is asked for: the compressed one for `.sqz`
    /// containers, whose point is to run from the compressed form.
    public static func defaultEngine(for format: ModelFormat) -> EngineKind {
        format == .squeeze ? .compressed : .dense
    }
}

extension Model {
    /// Compiles the model for `engine` at `batchSize`, ready to make one engine
    /// per thread; refused when the weights and one engine would pass `memoryLimit`.
    public func engineFactory(_ engine: EngineKind = .dense, batchSize: Int = 1,
                              memoryLimit: MemoryLimit = .current) throws(ExecutorError) -> any InferenceEngineFactory {
        switch engine {
        case .dense: try DenseProgram(model: self, batchSize: batchSize, memoryLimit: memoryLimit)
        case .compressed:
            try CompressedNetwork(model: self, memoryLimit: memoryLimit).program(batchSize: batchSize, memoryLimit: memoryLimit)
        }
    }
}
