/// Stochastic gradient descent with momentum and weight decay (Caffe's update:
/// `v = momentum * v - lr * (g + decay * w)`, `w += v`), aware of each layer's
/// constraint: pruned weights stay exactly zero, and weight-shared layers move
/// each centroid by the summed gradient of the weights that share it.
final class SGD {
    let parameters: TrainableParameters
    let momentum: Float
    let weightDecay: Float
    let trainBiases: Bool
    private var weightVelocity: [[Float]]
    private var biasVelocity: [[Float]]
    private var centroidGradient: [Float] = []

    init(parameters: TrainableParameters, momentum: Float, weightDecay: Float, trainBiases: Bool) {
        self.parameters = parameters
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.trainBiases = trainBiases
        weightVelocity = parameters.slots.map {
            [Float](repeating: 0, count: $0.constraint == .shared ? $0.codebook.count : $0.weights.count)
        }
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
                // The centroid's gradient is the sum over the weights that share it.
                centroidGradient = [Float](repeating: 0, count: slot.codebook.count)
                for j in 0..<slot.codes.count where slot.codes[j] >= 0 {
                    centroidGradient[Int(slot.codes[j])] += g[j]
                }
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
