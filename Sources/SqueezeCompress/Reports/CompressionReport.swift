import SqueezeContainer
import SqueezeModel

/// How small a model is, layer by layer, in the spirit of the Deep Compression
/// paper's tables: against its own dense float32 size and against AlexNet's.
public struct CompressionReport: Hashable, Sendable, Codable {
    /// One weighted layer.
    public struct LayerRow: Hashable, Sendable, Codable {
        /// The layer name.
        public var name: String
        /// Weights of the dense tensor (biases not counted).
        public var weights: Int
        /// Weights and biases.
        public var parameters: Int
        /// Multiply-accumulates per image with every weight.
        public var multiplyAccumulates: Int
        /// Multiply-accumulates per image over the non-zero weights only.
        public var keptMultiplyAccumulates: Int
        /// Non-zero weights.
        public var nonZero: Int
        /// `100 * nonZero / weights`.
        public var nonZeroPercent: Double
        /// Bits per relative index (nil for unpruned layers).
        public var indexBits: Int?
        /// Bits per weight before entropy coding: codebook index width, or 32.
        public var weightBits: Int
        /// Bytes of the layer's section in the Huffman container.
        public var bytes: Int
        /// Dense float32 bytes of weights and biases.
        public var denseBytes: Int
        /// `denseBytes / bytes`.
        public var compressionRatio: Double
    }

    /// Per weighted layer, in network order.
    public var layers: [LayerRow]
    /// Bytes of the container (the file when the model came from one).
    public var containerBytes: Int
    /// Dense float32 bytes of all weights and biases of this network.
    public var denseBytes: Int
    /// `denseBytes / containerBytes`.
    public var ratio: Double
    /// Shannon's bound for the coded streams plus float32 codebooks and biases.
    public var entropyBoundBytes: Int
    /// The same streams with zstd -19 instead of Huffman (whole container).
    public var zstdBytes: Int
    /// The same streams without entropy coding (whole container).
    public var rawBytes: Int
    /// Multiply-accumulates per image of every layer, every weight kept
    /// (layers without weights included: pooling and element-wise
    /// products count as their operators say).
    public var multiplyAccumulates: Int
    /// The same over the non-zero weights.
    public var keptMultiplyAccumulates: Int
    /// AlexNet's dense float32 bytes (4 x its weights and biases), when given.
    public var alexnetDenseBytes: Int?
    /// AlexNet's weights and biases, when given.
    public var alexnetParameters: Int?
    /// AlexNet's multiply-accumulates per image, when given.
    public var alexnetMultiplyAccumulates: Int?
    /// `alexnetDenseBytes / containerBytes`.
    public var ratioVsAlexnet: Double?

    /// Measures `model`. `containerBytes` is the size of the file it came from,
    /// if any; otherwise that of its Huffman encoding with default options.
    public init(model: Model, containerBytes: Int? = nil, alexnet: Network? = nil) throws(ContainerError) {
        let huffman = try SqueezeContainer.encode(model, options: ContainerOptions(codec: .huffman))
        zstdBytes = try SqueezeContainer.encode(model, options: ContainerOptions(codec: .zstd)).bytes.count
        rawBytes = try SqueezeContainer.encode(model, options: ContainerOptions(codec: .raw)).bytes.count
        self.containerBytes = containerBytes ?? huffman.bytes.count
        var rows: [LayerRow] = []
        let shapes: NetworkShapes
        do { shapes = try model.network.inferShapes(batchSize: 1) } catch { throw .invalidModel(error.description) }
        var layerShapes: [String: (Layer, LayerShapes)] = [:]
        for (layer, s) in zip(model.network.layers, shapes.layers) { layerShapes[layer.name] = (layer, s) }
        var dense = 0
        var bound = 0.0
        for encoded in huffman.layers {
            guard let p = model.parameters[encoded.name] else { continue }
            let layerDense = 4 * (p.weights.elementCount + p.bias.count)
            dense += layerDense
            bound += encoded.streams.reduce(0) { $0 + $1.entropyBits / 8 } + Double(4 * (encoded.codebookCount + encoded.biasCount))
            let nonZero = p.weights.nonZeroCount
            let macs = layerShapes[encoded.name].map { $0.kind.multiplyAccumulates($1) } ?? 0
            let kept = layerShapes[encoded.name].map { $0.kind.multiplyAccumulates($1, keptWeights: nonZero) } ?? 0
            rows.append(LayerRow(
                name: encoded.name, weights: p.weights.elementCount, parameters: p.weights.elementCount + p.bias.count,
                multiplyAccumulates: macs, keptMultiplyAccumulates: kept, nonZero: nonZero,
                nonZeroPercent: 100 * Double(nonZero) / Double(max(p.weights.elementCount, 1)),
                indexBits: encoded.indexBits, weightBits: encoded.codeBits ?? 32, bytes: encoded.sectionBytes,
                denseBytes: layerDense, compressionRatio: Double(layerDense) / Double(encoded.sectionBytes)))
        }
        layers = rows
        var total = 0, totalKept = 0
        for (layer, s) in zip(model.network.layers, shapes.layers) {
            let nonZero = model.parameters[layer.name]?.weights.nonZeroCount ?? s.weightCount
            total = Checked.saturatingAdd(total, layer.kind.multiplyAccumulates(s))
            totalKept = Checked.saturatingAdd(totalKept, layer.kind.multiplyAccumulates(s, keptWeights: nonZero))
        }
        multiplyAccumulates = total
        keptMultiplyAccumulates = totalKept
        denseBytes = dense
        ratio = Double(dense) / Double(self.containerBytes)
        entropyBoundBytes = Int(bound.rounded(.up))
        if let alexnet, let shapes = try? alexnet.inferShapes(batchSize: 1) {
            alexnetDenseBytes = 4 * shapes.parameterCount
            alexnetParameters = shapes.parameterCount
            alexnetMultiplyAccumulates = zip(alexnet.layers, shapes.layers).reduce(0) { $0 + $1.0.kind.multiplyAccumulates($1.1) }
            ratioVsAlexnet = Double(4 * shapes.parameterCount) / Double(self.containerBytes)
        }
    }
}
