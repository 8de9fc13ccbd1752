import SqueezeModel

/// How many bits each layer's codebook indices get.
public struct QuantizationPlan: Hashable, Sendable {
    /// Bits for named layers.
    public var layers: [String: Int]
    /// Bits for convolution layers not named (nil: leave them).
    public var convolutionBits: Int?
    /// Bits for fully connected layers not named (nil: leave them).
    public var fullyConnectedBits: Int?

    /// A plan.
    public init(layers: [String: Int] = [:], convolutionBits: Int? = nil, fullyConnectedBits: Int? = nil) {
        self.layers = layers
        self.convolutionBits = convolutionBits
        self.fullyConnectedBits = fullyConnectedBits
    }

    /// The bits for each weighted layer of `model` the plan covers.
    public func bits(for model: Model) throws(QuantizeError) -> [String: Int] {
        let known = model.network.weightedLayers.map(\.name)
        for (name, b) in layers.sorted(by: { $0.key < $1.key }) {
            guard known.contains(name) else { throw .unknownLayer(name, known: known) }
            guard (1...16).contains(b) else { throw .invalidBits("layer '\(name)'", b) }
        }
        if let b = convolutionBits, !(1...16).contains(b) { throw .invalidBits("convolution layers", b) }
        if let b = fullyConnectedBits, !(1...16).contains(b) { throw .invalidBits("fully connected layers", b) }
        var result: [String: Int] = [:]
        for layer in model.network.weightedLayers {
            if let b = layers[layer.name] {
                result[layer.name] = b
            } else if layer.kind is Convolution, let b = convolutionBits {
                result[layer.name] = b
            } else if layer.kind is InnerProduct, let b = fullyConnectedBits {
                result[layer.name] = b
            }
        }
        return result
    }
}

/// Weight sharing by k-means: each layer's non-zero weights are clustered into
/// `2^bits` centroids and stored as a codebook plus one index per weight; zeros
/// (pruned weights) stay pruned and take no index.
public enum Quantizer {
    /// What quantization did to one layer.
    public struct LayerResult: Hashable, Sendable, Codable {
        /// The layer's name.
        public var name: String
        /// Bits per index.
        public var bits: Int
        /// Weights clustered (the non-zero ones).
        public var clustered: Int
        /// Centroids produced.
        public var centroids: Int
        /// Lloyd iterations.
        public var iterations: Int
    }

    /// Quantizes the layers `plan` covers.
    public static func quantize(_ model: Model, plan: QuantizationPlan, initialization: CentroidInitialization = .linear,
                                seed: UInt64 = 1) throws(QuantizeError) -> (model: Model, layers: [LayerResult]) {
        let bits = try plan.bits(for: model)
        var result = model
        var reports: [LayerResult] = []
        for layer in model.network.weightedLayers {
            guard let b = bits[layer.name], let p = model.parameters[layer.name] else { continue }
            let dense = p.weights.denseValues()
            var positions: [UInt32] = [], values: [Float] = []
            for (i, v) in dense.enumerated() where v != 0 {
                positions.append(UInt32(i))
                values.append(v)
            }
            var q = p
            if values.isEmpty {
                q.weights.storage = .shared(codebook: [0], codes: [], positions: [])
                reports.append(LayerResult(name: layer.name, bits: b, clustered: 0, centroids: 1, iterations: 0))
            } else {
                let clustering = KMeans.cluster(values, k: 1 << b, initialization: initialization, seed: seed)
                let pruned = values.count < dense.count
                q.weights.storage = .shared(codebook: clustering.centroids, codes: clustering.assignments,
                                            positions: pruned ? positions : nil)
                reports.append(LayerResult(name: layer.name, bits: b, clustered: values.count,
                                           centroids: clustering.centroids.count, iterations: clustering.iterations))
            }
            result.parameters[layer.name] = q
        }
        return (result, reports)
    }
}
