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
                convolutionForward(g, groups: groups, outputChannels: outputChannels, slot: parameters.slots[slot],
                                   hasBias: hasBias, count: count, input: x, output: y)
            case .innerProduct(let k, let n, let slot, let hasBias):
                let s = parameters.slots[slot]
                if hasBias {
                    for i in 0..<count { (y + i * n).update(from: s.bias.baseAddress!, count: n) }
                }
                BLAS.gemm(transposeB: true, m: count, n: n, k: k, a: x, lda: k, b: s.weights.baseAddress!, ldb: k,
                          beta: hasBias ? 1 : 0, c: y, ldc: n)
            case .relu(let slope):
                relu(count: count * inCount, slope: slope, input: x, output: y)
            case .maxPool(let g, let planes, let a):
                maxPool(g, planes: planes * count, input: x, output: y, argmax: argmax[a].baseAddress!)
            case .averagePool(let g, let planes):
                averagePool(g, planes: planes * count, input: x, output: y)
            case .globalAveragePool(let planes, let planeSize):
                globalAveragePool(planes: planes * count, planeSize: planeSize, input: x, output: y)
            case .concat(let outer, let chunks):
                let total = chunks.reduce(0, +)
                var offset = 0
                for (id, chunk) in zip(step.inputs, chunks) {
                    let source = values[id].baseAddress!
                    for o in 0..<(outer * count) {
                        (y + o * total + offset).update(from: source + o * chunk, count: chunk)
                    }
                    offset += chunk
                }
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

    /// im2col + GEMM per image and group; the bias seeds the output.
    private func convolutionForward(_ g: ConvolutionGeometry, groups: Int, outputChannels: Int,
                                    slot: TrainableParameters.Slot, hasBias: Bool, count: Int,
                                    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let n = g.columnCount, k = g.columnRows, m = outputChannels / groups
        let inputItem = g.channels * groups * g.height * g.width
        let w = UnsafePointer(slot.weights.baseAddress!)
        for image in 0..<count {
            for group in 0..<groups {
                let source = input + image * inputItem + group * g.channels * g.height * g.width
                let cols: UnsafePointer<Float>
                if g.isPointwise {
                    cols = source
                } else {
                    im2col(g, input: source, columns: columns.baseAddress!)
                    cols = UnsafePointer(columns.baseAddress!)
                }
                let out = output + image * outputChannels * n + group * m * n
                if hasBias {
                    fillRows(rows: m, columns: n, bias: slot.bias.baseAddress! + group * m, output: out, rowStride: n)
                }
                BLAS.gemm(m: m, n: n, k: k, a: w + group * m * k, lda: k, b: cols, ldb: n,
                          beta: hasBias ? 1 : 0, c: out, ldc: n)
            }
        }
    }
}
