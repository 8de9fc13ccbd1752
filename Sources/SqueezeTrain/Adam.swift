import Foundation

/// Adam (Kingma & Ba) with decoupled weight decay, aware of each layer's
/// constraint like `SGD`: pruned weights stay exactly zero and a shared layer's
/// centroid moves by the summed gradient of the weights that share it.
///
/// Its step is per parameter and independent of the gradient's scale, which
/// suits centroids: a classifier's centroid sums the gradients of tens of
/// thousands of weights, a first layer's of a few hundred, and one SGD
/// learning rate cannot serve both.
final class Adam: ParameterUpdate {
    let parameters: TrainableParameters
    let beta1: Float
    let beta2: Float = 0.999
    let epsilon: Float = 1e-8
    let weightDecay: Float
    let trainBiases: Bool
    private var first: [[Float]]
    private var second: [[Float]]
    private var biasFirst: [[Float]]
    private var biasSecond: [[Float]]
    private var steps = 0

    init(parameters: TrainableParameters, beta1: Float, weightDecay: Float, trainBiases: Bool) {
        self.parameters = parameters
        self.beta1 = beta1
        self.weightDecay = weightDecay
        self.trainBiases = trainBiases
        first = parameters.slots.map { [Float](repeating: 0, count: $0.learnedCount) }
        second = first
        biasFirst = parameters.slots.map { [Float](repeating: 0, count: $0.bias.count) }
        biasSecond = biasFirst
    }

    func step(learningRate lr: Float, weightGradients: [UnsafeMutableBufferPointer<Float>],
              biasGradients: [UnsafeMutableBufferPointer<Float>]) {
        steps += 1
        // Bias-corrected step size for the moment estimates started at zero.
        let t = Float(steps)
        let size = lr * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
        for (i, slot) in parameters.slots.enumerated() {
            switch slot.constraint {
            case .free, .masked:
                let masked = slot.constraint == .masked
                let decay = 1 - lr * weightDecay
                update(values: slot.weights, gradients: UnsafeBufferPointer(weightGradients[i]), slot: i, size: size, decay: decay)
                if masked { for j in 0..<slot.weights.count { slot.weights[j] *= slot.mask[j] } }
            case .shared:
                let centroid = slot.centroidGradient(weightGradients[i])
                centroid.withUnsafeBufferPointer { g in update(values: slot.codebook, gradients: g, slot: i, size: size, decay: 1) }
                slot.expandCodebook()
            }
            guard trainBiases else { continue }
            update(values: slot.bias, gradients: UnsafeBufferPointer(biasGradients[i]), first: &biasFirst[i],
                   second: &biasSecond[i], size: size, decay: 1)
        }
    }

    private func update(values: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, slot i: Int,
                        size: Float, decay: Float) {
        update(values: values, gradients: gradients, first: &first[i], second: &second[i], size: size, decay: decay)
    }

    private func update(values: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                        first m: inout [Float], second v: inout [Float], size: Float, decay: Float) {
        for j in 0..<values.count {
            let g = gradients[j]
            m[j] = beta1 * m[j] + (1 - beta1) * g
            v[j] = beta2 * v[j] + (1 - beta2) * g * g
            values[j] = values[j] * decay - size * m[j] / (v[j].squareRoot() + epsilon)
        }
    }
}
