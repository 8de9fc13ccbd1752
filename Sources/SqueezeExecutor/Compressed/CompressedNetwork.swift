import SqueezeKernels
import SqueezeModel

/// A network whose weighted layers are held in the compact run-time form:
/// codebook indices and one-byte relative positions per non-zero weight,
/// decoded row by row while the network runs. No dense float32 tensor is ever
/// made for a pruned or weight-shared layer.
///
/// Immutable and shared: compile it for a batch size with `program(batchSize:threads:)`
/// and make one executor per thread from the program.
public final class CompressedNetwork: Sendable {
    /// The network definition.
    public let network: Network
    let weights: [String: CompactWeights]
    /// Expanded weights and biases of weighted layers that run as generic
    /// steps (no compact kernel reads them).
    let genericWeights: [String: (weights: [Float], bias: [Float])]
    /// Convolutions and fully connected layers that run as dense GEMM.
    let gemmLayers: Set<String>

    /// Weights at least this dense make a convolution a GEMM: the
    /// sparse kernels pay per stored entry what GEMM pays per weight.
    static let gemmDensity = 0.6

    /// A depthwise 3x3 convolution of stride 1 or 2 on NCHW.
    static func isDepthwise3x3(_ c: Convolution, _ s: LayerShapes) -> Bool {
        c.groups == s.inputs[0].channels && c.groups == c.outputChannels && c.kernel == Spatial(3)
            && (c.stride == Spatial(1) || c.stride == Spatial(2)) && c.dilation == Spatial(1) && s.inputs[0].rank == 4
    }

    /// Converts `model` (validated first) into the compact form.
    ///
    /// - Throws: `ExecutorError.invalidModel` when it does not validate, and
    ///   `ExecutorError.resource` when the compact form would pass `memoryLimit`.
    public init(model: Model, memoryLimit: MemoryLimit = .current) throws(ExecutorError) {
        let shapes: NetworkShapes
        do { shapes = try model.validate() } catch { throw .invalidModel(error) }
        network = model.network
        // Depthwise 3x3 layers run a kernel of their own on dense weights.
        // Nearly dense float convolutions and fully connected layers run as
        // GEMM on expanded weights
        // (shared ones keep their one-byte codes: expanded, they would take
        // four times the memory).
        var gemm = Set<String>()
        for (layer, s) in zip(model.network.layers, shapes.layers) {
            let convolution = (layer.kind as? Convolution).map { $0.groups == 1 && s.inputs[0].rank == 4 } ?? false
            if convolution || layer.kind is InnerProduct, let p = model.parameters[layer.name],
               !p.weights.isShared, p.weights.elementCount > 0,
               Double(p.weights.nonZeroCount) >= Self.gemmDensity * Double(p.weights.elementCount) {
                gemm.insert(layer.name)
            }
        }
        gemmLayers = gemm
        func isCompact(_ layer: Layer, _ s: LayerShapes) -> Bool {
            if gemm.contains(layer.name) { return false }
            if let c = layer.kind as? Convolution { return !Self.isDepthwise3x3(c, s) }
            return layer.kind is InnerProduct
        }
        let compactKinds = zip(model.network.layers, shapes.layers).filter { isCompact($0, $1) }
        let weighted = compactKinds.compactMap { layer, layerShapes in
            layerShapes.weight.flatMap { shape in model.parameters[layer.name].map { (layer.name, $0, shape[0]) } }
        }
        var generic: [String: (weights: [Float], bias: [Float])] = [:]
        for (layer, layerShapes) in zip(model.network.layers, shapes.layers)
        where layerShapes.weight != nil && !isCompact(layer, layerShapes) {
            if let p = model.parameters[layer.name] { generic[layer.name] = (p.weights.denseValues(), p.bias) }
        }
        genericWeights = generic
        // Per layer: two row starts per row, the gap stream (one byte per weight
        // and per 255 positions skipped, built then copied) and the values.
        var estimate = MemoryEstimate("the compact weights")
        for (name, parameters, rows) in weighted {
            let stored = parameters.weights.storedCount, elements = parameters.weights.elementCount
            let gaps = Checked.saturatingAdd(Checked.saturatingAdd(stored, elements / 255), rows + 1)
            let bytes = [Checked.saturatingMultiply(rows + 1, 8), Checked.saturatingMultiply(gaps, 2),
                         Checked.saturatingMultiply(stored, 4)].reduce(0, Checked.saturatingAdd)
            estimate.add("layer '\(name)'", bytes: bytes)
        }
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        // Layers convert independently: on every core, to open faster.
        let compact = weighted.concurrentMap(cost: { $0.1.weights.storedCount }) { name, parameters, rows in
            (name, CompactWeights(parameters, rows: rows))
        }
        weights = Dictionary(uniqueKeysWithValues: compact)
    }

    /// Bytes of weight data held: gaps, codes (or values), codebooks, biases and
    /// row starts of every compact layer, and the float32 weights and biases
    /// of the layers that run on expanded weights (GEMM, depthwise, generic).
    public var weightBytes: Int {
        weights.values.reduce(0) { $0 + $1.residentBytes }
            + genericWeights.values.reduce(0) { $0 + 4 * ($1.weights.count + $1.bias.count) }
    }

    /// Non-zero weights held.
    public var weightCount: Int { weights.values.reduce(0) { $0 + $1.weightCount } }

    /// Compiles the network for batches of `batchSize`, each executor running
    /// a batch on `threads` threads with the `kernels` build of the sparse
    /// kernels (the widest this processor runs unless given).
    ///
    /// - Throws: `ExecutorError` for a batch size outside 1...4096, a thread
    ///   count outside 1...256, kernels this processor cannot run, a layer
    ///   this executor does not run, or when the weights and one executor
    ///   would need more than `memoryLimit`.
    public func program(batchSize: Int = 1, threads: Int = 1, kernels: SparseKernelSet = .preferred,
                        memoryLimit: MemoryLimit = .current) throws(ExecutorError) -> CompressedProgram {
        guard (1...4096).contains(batchSize) else { throw .invalidBatchSize(batchSize) }
        guard (1...256).contains(threads) else { throw .invalidThreadCount(threads) }
        guard kernels.isSupported else { throw .kernelsUnsupported(kernels) }
        if !gemmLayers.isEmpty {
            do { try BLAS.load() } catch { throw .blasUnavailable(error.description) }
        }
        let program = try CompressedProgram(network: self, batchSize: batchSize, threads: threads, kernels: kernels)
        do { try memoryLimit.check(program.memoryEstimate(engines: 1)) } catch { throw .resource(error) }
        return program
    }
}
