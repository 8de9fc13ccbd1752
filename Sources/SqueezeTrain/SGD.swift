/// Stochastic gradient descent with momentum and weight decay (Caffe's update:
/// `v = momentum * v - lr * (g + decay * w)`, `w += v`), aware of each layer's
/// constraint: pruned weights stay exactly zero, and weight-shared layers move
/// each centroid by the summed gradient of the weights that share it.
final class SGD: ParameterUpdate {
    let parameters: TrainableParameters
    let momentum: Float
    let weightDecay: Float
    let trainBiases: Bool
    private var weightVelocity: [[Float]]
    private var biasVelocity: [[Float]]

    init(parameters: TrainableParameters, momentum: Float, weightDecay: Float, trainBiases: Bool) {
        self.parameters = parameters
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.trainBiases = trainBiases
        weightVelocity = parameters.slots.map { [Float](repeating: 0, count: $0.learnedCount) }
        biasVelocity = parameters.slots.map { [Float](repeating: 0, count: $0.bias.count) }
    }

    /// Applies one update from the summed gradients of a batch.
    func step(learningRate lr: Float, weightGradients: [UnsafeMutableBufferPointer<Float>],
              biasGradients: [UnsafeMutableBufferPointer<Float>]) {
        for (i, slot) in parameters.slots.enumerated() {
            let g = weightGradients[i]
            switch slot.constraint {
            case .free, .masked:
                let masked = slot.constraint == .masked
                weightVelocity[i].withUnsafeMutableBufferPointer { v in
                    for j in 0..<slot.weights.count {
                        let w = slot.weights[j]
                        var grad = g[j] + weightDecay * w
                        if masked { grad *= slot.mask[j] }
                        v[j] = momentum * v[j] - lr * grad
                        slot.weights[j] = masked ? (w + v[j]) * slot.mask[j] : w + v[j]
                    }
                }
            case .shared:
                let centroidGradient = slot.centroidGradient(g)
                for c in 0..<slot.codebook.count {
                    weightVelocity[i][c] = momentum * weightVelocity[i][c] - lr * centroidGradient[c]
                    slot.codebook[c] += weightVelocity[i][c]
                }
                slot.expandCodebook()
            }
            guard trainBiases else { continue }
            let gb = biasGradients[i]
            for j in 0..<slot.bias.count {
                biasVelocity[i][j] = momentum * biasVelocity[i][j] - lr * gb[j]
                slot.bias[j] += biasVelocity[i][j]
            }
        }
    }
}

/// One optimiser step from a batch's summed gradients, keeping every layer's
/// constraint (`SGD`, `Adam`).
protocol ParameterUpdate: AnyObject {
    /// Applies one update.
    func step(learningRate: Float, weightGradients: [UnsafeMutableBufferPointer<Float>],
              biasGradients: [UnsafeMutableBufferPointer<Float>])
}

extension TrainableParameters.Slot {
    /// How many values the optimiser learns for the weights: the centroids of a
    /// shared layer, else every weight.
    var learnedCount: Int { constraint == .shared ? codebook.count : weights.count }

    /// A shared layer's centroid gradients: each the sum over the weights that share it.
    func centroidGradient(_ g: UnsafeMutableBufferPointer<Float>) -> [Float] {
        var sum = [Float](repeating: 0, count: codebook.count)
        for j in 0..<codes.count where codes[j] >= 0 {
            sum[Int(codes[j])] += g[j]
        }
        return sum
    }
}
