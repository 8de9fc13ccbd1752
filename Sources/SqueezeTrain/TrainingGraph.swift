import SqueezeExecutor
import SqueezeModel

/// The dense engine set up for training at up to `capacity` images per pass:
/// a ``DenseGraph`` over a training ``DensePlan`` (every layer output kept, a
/// final Softmax dropped: the loss works on logits) that reads the weights of
/// a `TrainableParameters` and accumulates this graph's own weight gradients.
///
/// One graph belongs to one thread. The trainer runs one per worker over the
/// same `TrainableParameters` and sums their weight gradients.
public final class TrainingGraph: @unchecked Sendable {
    /// The parameters the graph reads.
    public let parameters: TrainableParameters
    /// The most images one pass can hold.
    public let capacity: Int
    /// The number of logits per image.
    public let classCount: Int
    /// The shape of one input image.
    public let sampleShape: TensorShape
    /// Whether the graph has gradient buffers (`backward` may run).
    public let forTraining: Bool
    /// Per-slot gradients of the weights, accumulated by `backward`.
    public let weightGradients: [UnsafeMutableBufferPointer<Float>]
    /// Per-slot gradients of the biases.
    public let biasGradients: [UnsafeMutableBufferPointer<Float>]

    private let graph: DenseGraph
    private let weights: DenseGraph.Weights
    /// Slot of `parameters` for each of the plan's weighted layers.
    private let slotOrder: [Int]

    /// Compiles the parameters' network for passes of up to `capacity` images.
    ///
    /// Layers without a backward pass are refused. A graph made with
    /// `forTraining: false` has no gradient buffers and only runs forward.
    /// Refused before allocating when its buffers would pass `memoryLimit`.
    public convenience init(parameters: TrainableParameters, capacity: Int, forTraining: Bool = true,
                            memoryLimit: MemoryLimit = .current) throws(TrainingError) {
        let layout = try Layout(parameters: parameters, capacity: capacity, forTraining: forTraining)
        do { try memoryLimit.check(layout.memory) } catch { throw .resource(error) }
        try self.init(layout: layout)
    }

    /// A graph's plan and sizes, worked out before anything is allocated.
    public struct Layout: Sendable {
        let parameters: TrainableParameters
        let capacity: Int
        let forTraining: Bool
        let plan: DensePlan
        let slotOrder: [Int]

        /// What `TrainingGraph.init(layout:)` allocates.
        var memory: MemoryEstimate {
            var estimate = DenseGraph.memory(plan: plan, capacity: capacity, gradients: forTraining)
            if forTraining {
                let weights = parameters.slots.reduce(0) { Checked.saturatingAdd($0, $1.weights.count + $1.bias.count) }
                estimate.add("weight gradients", count: weights, elementBytes: 4)
            }
            return estimate
        }

        /// Lowers the parameters' network.
        init(parameters: TrainableParameters, capacity: Int, forTraining: Bool) throws(TrainingError) {
            guard (1...4096).contains(capacity) else { throw .invalidOption("batch of \(capacity) images per worker is out of range") }
            let plan: DensePlan
            do {
                plan = try DensePlan(network: parameters.network, purpose: .training)
            } catch {
                switch error {
                case .invalidModel(let e): throw .invalidModel(e)
                case .unsupportedLayer(let layer, _):
                    throw .unsupportedLayer(name: layer, type: parameters.network.layer(named: layer)?.kind.typeName ?? "?")
                default: throw .unsupportedTopology(error.description)
                }
            }
            var order: [Int] = []
            for name in plan.weightedLayers {
                guard let slot = parameters.slotIndex(of: name) else { throw .invalidModel(.missingWeights(layer: name)) }
                order.append(slot)
            }
            self.parameters = parameters
            self.capacity = capacity
            self.forTraining = forTraining
            self.plan = plan
            self.slotOrder = order
        }
    }

    /// Allocates the buffers of `layout`.
    ///
    /// - Throws: `TrainingError.resource` when the system refuses a buffer.
    public init(layout: Layout) throws(TrainingError) {
        let parameters = layout.parameters
        var made: [UnsafeMutableBufferPointer<Float>] = []
        func allocate(_ count: Int, _ what: String) throws(TrainingError) -> UnsafeMutableBufferPointer<Float> {
            do { made.append(try ZeroedMemory.allocate(Float.self, count: count, what: what)) } catch {
                made.forEach(ZeroedMemory.release)
                throw .resource(error)
            }
            return made[made.count - 1]
        }
        var weightGradients: [UnsafeMutableBufferPointer<Float>] = [], biasGradients: [UnsafeMutableBufferPointer<Float>] = []
        for slot in parameters.slots {
            weightGradients.append(try allocate(layout.forTraining ? slot.weights.count : 0, "weight gradients"))
            biasGradients.append(try allocate(layout.forTraining ? slot.bias.count : 0, "bias gradients"))
        }
        do {
            graph = try DenseGraph(plan: layout.plan, capacity: layout.capacity, gradients: layout.forTraining)
        } catch {
            made.forEach(ZeroedMemory.release)
            throw .resource(error)
        }
        self.parameters = parameters
        self.capacity = layout.capacity
        self.forTraining = layout.forTraining
        self.sampleShape = layout.plan.sampleShape
        self.classCount = layout.plan.outputCount
        self.slotOrder = layout.slotOrder
        self.weightGradients = weightGradients
        self.biasGradients = biasGradients
        self.weights = DenseGraph.Weights(
            weights: layout.slotOrder.map { UnsafePointer(parameters.slots[$0].weights.baseAddress!) },
            biases: layout.slotOrder.map { parameters.slots[$0].bias.isEmpty ? nil : UnsafePointer(parameters.slots[$0].bias.baseAddress!) })
    }

    deinit { (weightGradients + biasGradients).forEach(ZeroedMemory.release) }

    /// The input buffer: `capacity` images, each `sampleShape.elementCount` floats.
    public var input: UnsafeMutableBufferPointer<Float> { graph.input }

    /// The logits of the last forward pass, `classCount` per image.
    public var outputs: UnsafeMutableBufferPointer<Float> { graph.outputs }

    /// The gradient of the loss with respect to the logits, written by the loss
    /// before `backward`.
    public var outputGradients: UnsafeMutableBufferPointer<Float> { graph.outputGradients }

    /// Sets every weight and bias gradient to zero.
    public func zeroParameterGradients() {
        for b in weightGradients + biasGradients { b.update(repeating: 0) }
    }

    /// Runs the first `count` images of `input` forward.
    ///
    /// - Parameter dropoutSeed: when set, the pass is a training pass (Dropout draws
    ///   its mask per image from this seed, the image's index and the layer);
    ///   when nil, Dropout is the identity.
    public func forward(count: Int, dropoutSeed: UInt64? = nil) {
        graph.forward(count: count, weights: weights, trainingSeed: dropoutSeed)
    }

    /// Back-propagates `outputGradients` (set by the loss) through the last
    /// forward pass of `count` images, adding to the weight and bias gradients.
    public func backward(count: Int) {
        precondition(forTraining, "backward on a forward-only graph")
        graph.backward(count: count, weights: weights,
                       weightGradients: slotOrder.map { weightGradients[$0].baseAddress! },
                       biasGradients: slotOrder.map { biasGradients[$0].isEmpty ? nil : biasGradients[$0].baseAddress! })
    }
}
