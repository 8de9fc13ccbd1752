import Foundation

/// The rule that turns a batch's gradients into an update.
public enum Optimizer: String, Hashable, Sendable, CaseIterable {
    /// SGD with momentum and L2 weight decay (Caffe's update).
    case sgd
    /// Adam with decoupled weight decay; `momentum` is its first-moment decay.
    /// Each parameter's step is independent of its gradient's scale.
    case adam
}

/// How a training run proceeds.
public struct TrainingOptions: Hashable, Sendable {
    /// Passes over the data.
    public var epochs: Int
    /// Images per SGD step (split across the threads).
    public var batchSize: Int
    /// The initial learning rate.
    public var learningRate: Float
    /// Multiplies the learning rate after every epoch.
    public var learningRateDecay: Float
    /// SGD momentum (Adam: the first-moment decay).
    public var momentum: Float
    /// L2 weight decay on weights (not on centroids or biases).
    public var weightDecay: Float
    /// What is minimised.
    public var loss: LossFunction
    /// Whether biases are learned too.
    public var trainBiases: Bool
    /// Random crops and mirrors where the data supports them.
    public var augment: Bool
    /// Whether Dropout layers drop at training time. Off suits distillation,
    /// where the teacher runs without dropout and the student should match it.
    public var dropout: Bool
    /// Fixes shuffles, initialisation, dropout and augmentation.
    public var seed: UInt64
    /// Worker threads (each runs part of every batch).
    public var threads: Int
    /// The update rule.
    public var optimizer: Optimizer

    /// Options; defaults suit fine-tuning with labels.
    public init(epochs: Int = 1, batchSize: Int = 32, learningRate: Float = 0.01, learningRateDecay: Float = 1,
                momentum: Float = 0.9, weightDecay: Float = 5e-4, loss: LossFunction = .crossEntropy,
                trainBiases: Bool = true, augment: Bool = true, dropout: Bool = true, seed: UInt64 = 1,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, optimizer: Optimizer = .sgd) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.loss = loss
        self.trainBiases = trainBiases
        self.augment = augment
        self.dropout = dropout
        self.seed = seed
        self.threads = threads
        self.optimizer = optimizer
    }

    /// Checks every option is in range.
    public func validate() throws(TrainingError) {
        guard (0...100_000).contains(epochs) else { throw .invalidOption("--epochs must be between 0 and 100000, not \(epochs)") }
        guard (1...4096).contains(batchSize) else { throw .invalidOption("--batch must be between 1 and 4096, not \(batchSize)") }
        guard learningRate.isFinite, learningRate > 0, learningRate < 100 else {
            throw .invalidOption("--lr must be positive and below 100, not \(learningRate)")
        }
        guard learningRateDecay.isFinite, learningRateDecay > 0, learningRateDecay <= 1 else {
            throw .invalidOption("--lr-decay must be in (0, 1], not \(learningRateDecay)")
        }
        guard momentum.isFinite, (0..<1).contains(momentum) else { throw .invalidOption("--momentum must be in [0, 1), not \(momentum)") }
        guard weightDecay.isFinite, (0..<1).contains(weightDecay) else {
            throw .invalidOption("--weight-decay must be in [0, 1), not \(weightDecay)")
        }
        if case .distillation(let t) = loss, !(t.isFinite && t > 0 && t <= 100) {
            throw .invalidOption("--temperature must be in (0, 100], not \(t)")
        }
        guard (1...256).contains(threads) else { throw .invalidOption("--threads must be between 1 and 256, not \(threads)") }
    }
}

/// Where a training run is, for progress displays.
public struct TrainingProgress: Sendable {
    /// The epoch (from 1).
    public var epoch: Int
    /// The number of epochs.
    public var epochs: Int
    /// Images done in this epoch.
    public var done: Int
    /// Images per epoch.
    public var total: Int
    /// Mean loss so far in this epoch.
    public var loss: Double
    /// Top-1 accuracy against the labels so far in this epoch.
    public var accuracy: Double
}

/// What one epoch achieved.
public struct EpochSummary: Codable, Hashable, Sendable {
    /// The epoch (from 1).
    public var epoch: Int
    /// The mean training loss.
    public var loss: Double
    /// The training top-1 accuracy (with augmentation and dropout on).
    public var accuracy: Double
    /// The learning rate used.
    public var learningRate: Double
    /// Wall-clock seconds.
    public var seconds: Double
    /// Images per second, forward and backward.
    public var imagesPerSecond: Double
}
