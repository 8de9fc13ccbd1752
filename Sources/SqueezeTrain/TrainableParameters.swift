import SqueezeData
import SqueezeModel

/// What may change in a layer's weights during training.
public enum WeightConstraint: Sendable, Equatable {
    /// Every weight is learned.
    case free
    /// Pruned: weights whose mask is 0 stay exactly zero.
    case masked
    /// Weight-shared: weights are `codebook[code]`; only the centroids learn, each
    /// by the sum of the gradients of the weights that share it. Code -1 is pruned.
    case shared
}

/// Which parameters training updates.
public enum TrainingTarget: String, Sendable, CaseIterable {
    /// Weights (pruned positions stay zero) and biases.
    case weights
    /// Codebook centroids (indices fixed) and biases.
    case centroids
}

/// A model's weights as dense float32 buffers that the training graph reads and the
/// optimiser updates in place, with each layer's constraint.
///
/// A class over raw buffers because many worker threads read the weights at once
/// while only the optimiser, between batches, writes them.
public final class TrainableParameters: @unchecked Sendable {
    /// One weighted layer.
    public final class Slot: @unchecked Sendable {
        /// The layer's name.
        public let name: String
        /// The weight shape (`[out, in/groups, kh, kw]` or `[out, in]`).
        public let shape: TensorShape
        /// The dense weights.
        public let weights: UnsafeMutableBufferPointer<Float>
        /// The biases.
        public let bias: UnsafeMutableBufferPointer<Float>
        /// How the weights may change.
        public let constraint: WeightConstraint
        /// 1 for kept weights, 0 for pruned ones (masked and shared layers).
        public let mask: UnsafeMutableBufferPointer<Float>
        /// The centroid each weight uses, -1 for pruned (shared layers).
        public let codes: UnsafeMutableBufferPointer<Int32>
        /// The centroids (shared layers).
        public let codebook: UnsafeMutableBufferPointer<Float>

        init(name: String, shape: TensorShape, weights: [Float], bias: [Float], constraint: WeightConstraint,
             mask: [Float] = [], codes: [Int32] = [], codebook: [Float] = []) {
            self.name = name
            self.shape = shape
            self.constraint = constraint
            func buffer<T>(_ values: [T]) -> UnsafeMutableBufferPointer<T> {
                let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
                _ = b.initialize(from: values)
                return UnsafeMutableBufferPointer(rebasing: b[..<values.count])
            }
            self.weights = buffer(weights)
            self.bias = buffer(bias)
            self.mask = buffer(mask)
            self.codes = buffer(codes)
            self.codebook = buffer(codebook)
        }

        deinit {
            for b in [weights, bias, mask, codebook] { b.baseAddress?.deallocate() }
            codes.baseAddress?.deallocate()
        }

        /// Rebuilds the dense weights from the codebook (shared layers).
        func expandCodebook() {
            for i in 0..<weights.count {
                let c = Int(codes[i])
                weights[i] = c >= 0 ? codebook[c] : 0
            }
        }

        /// The parameters in the stored form the constraint implies.
        public var layerParameters: LayerParameters {
            let bias = Array(self.bias)
            switch constraint {
            case .free:
                return LayerParameters(weights: WeightTensor(shape: shape, values: Array(weights)), bias: bias)
            case .masked:
                var positions: [UInt32] = [], values: [Float] = []
                for i in 0..<weights.count where mask[i] != 0 {
                    positions.append(UInt32(i))
                    values.append(weights[i])
                }
                return LayerParameters(weights: WeightTensor(shape: shape, storage: .sparse(positions: positions, values: values)),
                                       bias: bias)
            case .shared:
                let pruned = codes.contains(-1)
                var positions: [UInt32] = [], stored: [UInt16] = []
                for i in 0..<codes.count where codes[i] >= 0 {
                    positions.append(UInt32(i))
                    stored.append(UInt16(codes[i]))
                }
                return LayerParameters(
                    weights: WeightTensor(shape: shape, storage: .shared(codebook: Array(codebook), codes: stored,
                                                                        positions: pruned ? positions : nil)),
                    bias: bias)
        }
        }
    }

    /// The network the parameters belong to.
    public let network: Network
    /// The weighted layers, in execution order.
    public let slots: [Slot]
    private let index: [String: Int]

    /// The parameters of `model`, prepared for `target`.
    ///
    /// Dense layers train freely, pruned layers keep their zeros; with
    /// `.centroids`, every weighted layer must be weight-shared.
    ///
    /// Refused before allocating when the dense buffers would pass `memoryLimit`.
    public init(model: Model, target: TrainingTarget = .weights, memoryLimit: MemoryLimit = .current) throws(TrainingError) {
        do { try model.validate() } catch { throw .invalidModel(error) }
        try Self.checkMemory(model.network.weightedLayers.compactMap { layer in
            model.parameters[layer.name].map { (layer.name, $0.weights.elementCount) }
        }, limit: memoryLimit)
        var slots: [Slot] = []
        for layer in model.network.weightedLayers {
            guard let p = model.parameters[layer.name] else { throw .invalidModel(.missingWeights(layer: layer.name)) }
            let w = p.weights
            let dense = w.denseValues()
            switch (target, w.storage) {
            case (.centroids, .shared(let codebook, let codes, let positions)):
                var all = [Int32](repeating: -1, count: w.elementCount)
                if let positions {
                    for (q, c) in zip(positions, codes) { all[Int(q)] = Int32(c) }
                } else {
                    for (i, c) in codes.enumerated() { all[i] = Int32(c) }
                }
                slots.append(Slot(name: layer.name, shape: w.shape, weights: dense, bias: p.bias, constraint: .shared,
                                  mask: all.map { $0 >= 0 ? 1 : 0 }, codes: all, codebook: codebook))
            case (.centroids, _):
                throw .notQuantized(layer: layer.name)
            case (.weights, .dense):
                slots.append(Slot(name: layer.name, shape: w.shape, weights: dense, bias: p.bias, constraint: .free))
            case (.weights, _):
                if let positions = w.positions {
                    var mask = [Float](repeating: 0, count: w.elementCount)
                    for q in positions { mask[Int(q)] = 1 }
                    slots.append(Slot(name: layer.name, shape: w.shape, weights: dense, bias: p.bias,
                                      constraint: .masked, mask: mask))
                } else {
                    // Shared without pruning: retraining frees the weights.
                    slots.append(Slot(name: layer.name, shape: w.shape, weights: dense, bias: p.bias, constraint: .free))
                }
            }
        }
        self.network = model.network
        self.slots = slots
        self.index = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1.name, $0) })
    }

    /// Fresh parameters for `network`: Xavier-uniform weights (Caffe's `xavier`
    /// filler, scale `sqrt(3 / fan_in)`) and zero biases, from `seed`.
    ///
    /// Refused before allocating when the weights would pass `memoryLimit`.
    public init(initializing network: Network, seed: UInt64, memoryLimit: MemoryLimit = .current) throws(TrainingError) {
        let shapes: NetworkShapes
        do { shapes = try network.inferShapes(batchSize: 1) } catch { throw .invalidModel(error) }
        try Self.checkMemory(zip(network.layers, shapes.layers).compactMap { layer, s in
            s.weight.map { (layer.name, $0.elementCount) }
        }, limit: memoryLimit)
        var generator = SeededGenerator(seed: seed, stream: 0x1417)
        var slots: [Slot] = []
        for (layer, s) in zip(network.layers, shapes.layers) {
            guard let shape = s.weight else { continue }
            let fanIn = shape.elementCount / max(shape.dimensions[0], 1)
            let scale = (3 / Float(max(fanIn, 1))).squareRoot()
            let weights = (0..<shape.elementCount).map { _ in (generator.nextUnitFloat() * 2 - 1) * scale }
            slots.append(Slot(name: layer.name, shape: shape, weights: weights,
                              bias: [Float](repeating: 0, count: s.biasCount), constraint: .free))
        }
        self.network = network
        self.slots = slots
        self.index = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1.name, $0) })
    }

    /// Each weight takes up to 20 bytes while a slot is made: the dense
    /// buffer, a mask, codes, and the temporary arrays they are built from.
    private static func checkMemory(_ layers: [(String, Int)], limit: MemoryLimit) throws(TrainingError) {
        var estimate = MemoryEstimate("the trainable parameters")
        for (name, count) in layers { estimate.add("layer '\(name)' (\(count) weights)", count: count, elementBytes: 20) }
        do { try limit.check(estimate) } catch { throw .resource(error) }
    }

    /// The slot of layer `name`.
    public func slot(named name: String) -> Slot? { index[name].map { slots[$0] } }

    /// The slot index of layer `name`.
    func slotIndex(of name: String) -> Int? { index[name] }

    /// The current parameters as a model, each layer in the stored form its constraint implies.
    public var model: Model {
        Model(network: network, parameters: Dictionary(uniqueKeysWithValues: slots.map { ($0.name, $0.layerParameters) }))
    }

    /// The total number of weights.
    public var weightCount: Int { slots.reduce(0) { $0 + $1.weights.count } }
}
