import SqueezeData
import SqueezeKernels

extension TrainingGraph {
    /// Runs the first `count` images of `input` forward.
    ///
    /// - Parameter dropoutSeed: when set, the pass is a training pass (Dropout draws
    ///   its mask per image from this seed, the image's index and the layer);
    ///   when nil, Dropout is the identity.
    public func forward(count: Int, dropoutSeed: UInt64? = nil) {
        precondition((1...capacity).contains(count), "forward of \(count) images in a graph of \(capacity)")
        for (stepIndex, step) in steps.enumerated() {
            let x = UnsafePointer(values[step.inputs[0]].baseAddress!)
            let y = values[step.output].baseAddress!
            let inCount = perImage[step.inputs[0]], outCount = perImage[step.output]
            switch step.operation {
            case .convolution(let g, let groups, let outputChannels, let slot, let hasBias):
                let s = parameters.slots[slot]
                convolve(g, images: count, groups: groups, outputChannels: outputChannels, weights: s.weights.baseAddress!,
                         bias: hasBias ? s.bias.baseAddress : nil, input: x, output: y, columns: columns.baseAddress!)
            case .innerProduct(let k, let n, let slot, let hasBias):
                let s = parameters.slots[slot]
                innerProduct(batch: count, inputs: k, outputs: n, weights: s.weights.baseAddress!,
                             bias: hasBias ? s.bias.baseAddress : nil, input: x, output: y)
            case .relu(let slope):
                relu(count: count * inCount, slope: slope, input: x, output: y)
            case .maxPool(let g, let planes, let a):
                maxPool(g, planes: planes * count, input: x, output: y, argmax: argmax[a].baseAddress!)
            case .averagePool(let g, let planes):
                averagePool(g, planes: planes * count, input: x, output: y)
            case .globalAveragePool(let planes, let planeSize):
                globalAveragePool(planes: planes * count, planeSize: planeSize, input: x, output: y)
            case .concat(let outer, let chunks):
                concatenate(outer: outer * count, chunks: chunks, inputs: step.inputs.map { UnsafePointer(values[$0].baseAddress!) },
                            output: y)
            case .dropout(let ratio, let m):
                let mask = dropoutMasks[m].baseAddress!
                guard let seed = dropoutSeed, ratio > 0 else {
                    mask.update(repeating: 1, count: count * inCount)
                    y.update(from: x, count: count * inCount)
                    break
                }
                // Caffe's inverted dropout: kept values are scaled at training time.
                let scale = 1 / (1 - ratio)
                for image in 0..<count {
                    var random = SeededGenerator(seed: seed, stream: UInt64(image), UInt64(stepIndex))
                    let base = image * outCount
                    for i in 0..<outCount {
                        mask[base + i] = random.nextUnitFloat() < ratio ? 0 : scale
                        y[base + i] = x[base + i] * mask[base + i]
                    }
                }
            }
        }
    }
}
