import SqueezeModel

/// The dense engine's working memory for a ``DensePlan``: a buffer per blob
/// for up to `capacity` images, gradient buffers and kept forward state when
/// it trains, and the kernels' scratch. The forward and backward loops run
/// every layer through its operator's kernel; weights come from the caller
/// (a compiled program's expanded weights, or a trainer's parameters).
///
/// One graph belongs to one thread.
public final class DenseGraph: @unchecked Sendable {
    /// The plan.
    public let plan: DensePlan
    /// The most images one pass holds.
    public let capacity: Int
    /// Whether the graph has gradient buffers (`backward` may run).
    public let hasGradients: Bool

    let values: [UnsafeMutableBufferPointer<Float>]
    let gradients: [UnsafeMutableBufferPointer<Float>]
    let scratch: UnsafeMutableBufferPointer<Float>
    let secondScratch: UnsafeMutableBufferPointer<Float>
    let states: [UnsafeMutableBufferPointer<Float>]

    /// Layer weights by slot (`plan.weightedLayers` order).
    public struct Weights {
        /// The weights of each slot.
        public var weights: [UnsafePointer<Float>]
        /// The biases of each slot, nil without bias.
        public var biases: [UnsafePointer<Float>?]

        /// Weights for every slot.
        public init(weights: [UnsafePointer<Float>], biases: [UnsafePointer<Float>?]) {
            self.weights = weights
            self.biases = biases
        }
    }

    /// What a graph of `capacity` images allocates.
    public static func memory(plan: DensePlan, capacity: Int, gradients: Bool) -> MemoryEstimate {
        var estimate = MemoryEstimate(gradients ? "a training graph" : "a dense graph")
        let floats = plan.perImage.reduce(0, Checked.saturatingAdd)
        let copies = gradients ? 2 : 1
        estimate.add("blob buffers\(gradients ? " and their gradients" : "") for \(capacity) image(s)",
                     count: Checked.saturatingMultiply(Checked.saturatingMultiply(floats, capacity), copies), elementBytes: 4)
        estimate.add("kernel scratch", count: Checked.saturatingMultiply(max(plan.scratchCount, 1), copies), elementBytes: 4)
        let kept = plan.stateCounts.reduce(0, Checked.saturatingAdd)
        if kept > 0 {
            estimate.add("pooling and dropout state", count: Checked.saturatingMultiply(kept, capacity), elementBytes: 4)
        }
        return estimate
    }

    /// Allocates the buffers for `capacity` images; gradients only when asked
    /// and the plan is for training.
    ///
    /// - Throws: `ResourceError` when the system refuses a buffer.
    public init(plan: DensePlan, capacity: Int, gradients: Bool) throws(ResourceError) {
        let training = gradients && plan.purpose == .training
        var made: [UnsafeMutableBufferPointer<Float>] = []
        func allocate(_ count: Int, _ what: String) throws(ResourceError) -> UnsafeMutableBufferPointer<Float> {
            do {
                made.append(try ZeroedMemory.allocate(Float.self, count: count, what: what))
            } catch {
                made.forEach(ZeroedMemory.release)
                throw error
            }
            return made[made.count - 1]
        }
        var values: [UnsafeMutableBufferPointer<Float>] = [], grads: [UnsafeMutableBufferPointer<Float>] = []
        for (id, size) in plan.perImage.enumerated() {
            values.append(try allocate(size * capacity, "a blob buffer"))
            grads.append(try allocate(id == 0 || !training ? 0 : size * capacity, "a gradient buffer"))
        }
        scratch = try allocate(max(plan.scratchCount, 1), "the kernel scratch")
        secondScratch = try allocate(training ? max(plan.scratchCount, 1) : 0, "the backward scratch")
        var states: [UnsafeMutableBufferPointer<Float>] = []
        for count in plan.stateCounts { states.append(try allocate(count * capacity, "kept forward state")) }
        self.plan = plan
        self.capacity = capacity
        self.hasGradients = training
        self.values = values
        self.gradients = grads
        self.states = states
    }

    deinit {
        for b in values + gradients + states + [scratch, secondScratch] { ZeroedMemory.release(b) }
    }

    /// The input buffer: `capacity` images of `plan.sampleShape`.
    public var input: UnsafeMutableBufferPointer<Float> { values[0] }

    /// The outputs of the last forward pass, `plan.outputCount` per image.
    public var outputs: UnsafeMutableBufferPointer<Float> { values[plan.outputBuffer] }

    /// The gradient of the loss with respect to the outputs, set before `backward`.
    public var outputGradients: UnsafeMutableBufferPointer<Float> { gradients[plan.outputBuffer] }

    /// The newest values of a blob after the last pass, or nil for an unknown name.
    public func blob(named name: String, count: Int) -> [Float]? {
        plan.blobBuffers[name].map { Array(values[$0].prefix(count * plan.perImage[$0])) }
    }

    /// Runs the first `count` images forward. With `trainingSeed` the pass is a
    /// training pass (Dropout draws its mask from the seed, the image and the layer).
    public func forward(count: Int, weights: Weights, trainingSeed: UInt64? = nil) {
        precondition((1...capacity).contains(count), "forward of \(count) images in a graph of \(capacity)")
        for (index, step) in plan.steps.enumerated() {
            let state = states[index].count > 0 ? UnsafeMutableRawPointer(states[index].baseAddress!) : nil
            step.kernel.forward(ForwardArguments(
                count: count, inputs: step.inputs.map { UnsafePointer(values[$0].baseAddress!) },
                outputs: step.outputs.map { values[$0].baseAddress! },
                weights: step.slot.map { weights.weights[$0] }, bias: step.slot.flatMap { weights.biases[$0] },
                scratch: scratch.baseAddress, state: state,
                training: trainingSeed.map { TrainingPass(seed: $0, layerIndex: step.layerIndex) }))
        }
    }

    /// Back-propagates `outputGradients` through the last forward pass of
    /// `count` images, adding to the weight and bias gradients of each slot.
    public func backward(count: Int, weights: Weights, weightGradients: [UnsafeMutablePointer<Float>],
                         biasGradients: [UnsafeMutablePointer<Float>?]) {
        precondition((1...capacity).contains(count), "backward of \(count) images in a graph of \(capacity)")
        precondition(hasGradients, "backward on a graph without gradients")
        for id in gradients.indices where id != 0 && id != plan.outputBuffer {
            gradients[id].baseAddress!.update(repeating: 0, count: plan.perImage[id] * count)
        }
        for (index, step) in plan.steps.enumerated().reversed() {
            let state = states[index].count > 0 ? UnsafeMutableRawPointer(states[index].baseAddress!) : nil
            step.kernel.backward(BackwardArguments(
                count: count, inputs: step.inputs.map { UnsafePointer(values[$0].baseAddress!) },
                outputs: step.outputs.map { UnsafePointer(values[$0].baseAddress!) },
                outputGradients: step.outputs.map { UnsafePointer(gradients[$0].baseAddress!) },
                inputGradients: step.inputs.map { gradients[$0].count == 0 ? nil : gradients[$0].baseAddress },
                weights: step.slot.map { weights.weights[$0] },
                weightGradient: step.slot.map { weightGradients[$0] }, biasGradient: step.slot.flatMap { biasGradients[$0] },
                scratch: scratch.baseAddress, secondScratch: secondScratch.baseAddress, state: state))
        }
    }
}
