/// One layer compiled for one image's shapes: the dense engine's forward and
/// backward passes for any number of images in a row (batch first).
///
/// Kernels are immutable and shared by every thread; what they need per call
/// comes in the arguments. Backward passes add to every gradient (`+=`): a
/// blob read by several layers receives the sum of their gradients.
public protocol LayerKernel: Sendable {
    /// Floats of scratch the passes need (shared by all layers of a graph).
    var scratchCount: Int { get }
    /// 4-byte words per image that the forward pass of a training graph keeps
    /// for the backward pass (pooling positions, dropout masks).
    var stateCount: Int { get }
    /// Whether `backward` is implemented.
    var hasBackward: Bool { get }
    /// Runs `arguments.count` images forward.
    func forward(_ arguments: ForwardArguments)
    /// Back-propagates `arguments.count` images.
    func backward(_ arguments: BackwardArguments)
}

extension LayerKernel {
    public var scratchCount: Int { 0 }
    public var stateCount: Int { 0 }
    public var hasBackward: Bool { true }
    public func backward(_ arguments: BackwardArguments) {}
}

/// A training pass's randomness: set for a forward pass whose values will be
/// back-propagated (Dropout draws its mask from it), nil at inference.
public struct TrainingPass: Sendable, Hashable {
    /// The batch's seed.
    public var seed: UInt64
    /// The layer's index in the network, so layers draw different numbers.
    public var layerIndex: Int

    /// A pass.
    public init(seed: UInt64, layerIndex: Int) {
        self.seed = seed
        self.layerIndex = layerIndex
    }
}

/// What a forward pass reads and writes. Every tensor holds `count` images,
/// batch first, densely.
public struct ForwardArguments {
    /// The number of images.
    public var count: Int
    /// The layer's inputs.
    public var inputs: [UnsafePointer<Float>]
    /// The layer's outputs (may be `inputs[0]` for an in-place operator).
    public var outputs: [UnsafeMutablePointer<Float>]
    /// The weights, row-major in the layer's weight shape (weighted operators).
    public var weights: UnsafePointer<Float>?
    /// The biases, or nil when the layer has none.
    public var bias: UnsafePointer<Float>?
    /// `scratchCount` floats.
    public var scratch: UnsafeMutablePointer<Float>?
    /// `count * stateCount` words kept for backward (training graphs only).
    public var state: UnsafeMutableRawPointer?
    /// Set in training passes.
    public var training: TrainingPass?

    /// Arguments for one call.
    public init(count: Int, inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>],
                weights: UnsafePointer<Float>? = nil, bias: UnsafePointer<Float>? = nil,
                scratch: UnsafeMutablePointer<Float>? = nil, state: UnsafeMutableRawPointer? = nil,
                training: TrainingPass? = nil) {
        self.count = count
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.bias = bias
        self.scratch = scratch
        self.state = state
        self.training = training
    }
}

/// What a backward pass reads and accumulates into.
public struct BackwardArguments {
    /// The number of images.
    public var count: Int
    /// The forward pass's inputs.
    public var inputs: [UnsafePointer<Float>]
    /// The forward pass's outputs.
    public var outputs: [UnsafePointer<Float>]
    /// The gradients of the outputs.
    public var outputGradients: [UnsafePointer<Float>]
    /// The gradients of the inputs to add to, nil where none is needed.
    public var inputGradients: [UnsafeMutablePointer<Float>?]
    /// The weights (weighted operators).
    public var weights: UnsafePointer<Float>?
    /// The weight gradient to add to (weighted operators).
    public var weightGradient: UnsafeMutablePointer<Float>?
    /// The bias gradient to add to, nil when the layer has no bias.
    public var biasGradient: UnsafeMutablePointer<Float>?
    /// `scratchCount` floats.
    public var scratch: UnsafeMutablePointer<Float>?
    /// Another `scratchCount` floats.
    public var secondScratch: UnsafeMutablePointer<Float>?
    /// What the forward pass kept.
    public var state: UnsafeMutableRawPointer?

    /// Arguments for one call.
    public init(count: Int, inputs: [UnsafePointer<Float>], outputs: [UnsafePointer<Float>],
                outputGradients: [UnsafePointer<Float>], inputGradients: [UnsafeMutablePointer<Float>?],
                weights: UnsafePointer<Float>? = nil, weightGradient: UnsafeMutablePointer<Float>? = nil,
                biasGradient: UnsafeMutablePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>? = nil,
                secondScratch: UnsafeMutablePointer<Float>? = nil, state: UnsafeMutableRawPointer? = nil) {
        self.count = count
        self.inputs = inputs
        self.outputs = outputs
        self.outputGradients = outputGradients
        self.inputGradients = inputGradients
        self.weights = weights
        self.weightGradient = weightGradient
        self.biasGradient = biasGradient
        self.scratch = scratch
        self.secondScratch = secondScratch
        self.state = state
    }
}
