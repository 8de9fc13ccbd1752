import SqueezeKernels

extension TrainingGraph {
    /// Back-propagates `outputGradients` (set by the loss) through the last
    /// forward pass of `count` images, adding to the weight and bias gradients.
    public func backward(count: Int) {
        precondition((1...capacity).contains(count), "backward of \(count) images in a graph of \(capacity)")
        precondition(forTraining, "backward on a forward-only graph")
        // The logits' gradient is the loss's; every other buffer starts at zero.
        for id in gradients.indices where id != logits && needsGradient[id] {
            gradients[id].baseAddress!.update(repeating: 0, count: perImage[id] * count)
        }
        for step in steps.reversed() {
            let x = UnsafePointer(values[step.inputs[0]].baseAddress!)
            let dy = UnsafePointer(gradients[step.output].baseAddress!)
            let wantsInput = needsGradient[step.inputs[0]]
            let dx = gradients[step.inputs[0]].baseAddress
            let inCount = perImage[step.inputs[0]]
            switch step.operation {
            case .convolution(let g, let groups, let outputChannels, let slot, let hasBias):
                convolutionBackward(g, groups: groups, outputChannels: outputChannels, slot: slot, hasBias: hasBias,
                                    count: count, input: x, outputGradient: dy, inputGradient: wantsInput ? dx : nil)
            case .innerProduct(let k, let n, let slot, let hasBias):
                let s = parameters.slots[slot]
                BLAS.gemm(transposeA: true, m: n, n: k, k: count, a: dy, lda: n, b: x, ldb: k,
                          beta: 1, c: weightGradients[slot].baseAddress!, ldc: k)
                if hasBias {
                    let db = biasGradients[slot].baseAddress!
                    for i in 0..<count { addInPlace(count: n, source: dy + i * n, target: db) }
                }
                if wantsInput, let dx {
                    BLAS.gemm(m: count, n: k, k: n, a: dy, lda: n, b: s.weights.baseAddress!, ldb: k,
                              beta: 1, c: dx, ldc: k)
                }
            case .relu(let slope):
                guard wantsInput, let dx else { break }
                reluBackward(count: count * inCount, slope: slope, input: x, outputGradient: dy, inputGradient: dx)
            case .maxPool(let g, let planes, let a):
                guard wantsInput, let dx else { break }
                maxPoolBackward(g, planes: planes * count, argmax: argmax[a].baseAddress!, outputGradient: dy, inputGradient: dx)
            case .averagePool(let g, let planes):
                guard wantsInput, let dx else { break }
                averagePoolBackward(g, planes: planes * count, outputGradient: dy, inputGradient: dx)
            case .globalAveragePool(let planes, let planeSize):
                guard wantsInput, let dx else { break }
                globalAveragePoolBackward(planes: planes * count, planeSize: planeSize, outputGradient: dy, inputGradient: dx)
            case .concat(let outer, let chunks):
                let total = chunks.reduce(0, +)
                var offset = 0
                for (id, chunk) in zip(step.inputs, chunks) {
                    defer { offset += chunk }
                    guard needsGradient[id] else { continue }
                    let target = gradients[id].baseAddress!
                    for o in 0..<(outer * count) {
                        addInPlace(count: chunk, source: dy + o * total + offset, target: target + o * chunk)
                    }
                }
            case .dropout(_, let m):
                guard wantsInput, let dx else { break }
                let mask = dropoutMasks[m].baseAddress!
                for i in 0..<(count * inCount) { dx[i] += dy[i] * mask[i] }
            }
        }
    }

    /// dW += dY col^T, dB += row sums of dY, dX += col2im(W^T dY), per image and group.
    private func convolutionBackward(_ g: ConvolutionGeometry, groups: Int, outputChannels: Int, slot: Int, hasBias: Bool,
                                     count: Int, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                     inputGradient: UnsafeMutablePointer<Float>?) {
        let n = g.columnCount, k = g.columnRows, m = outputChannels / groups
        let groupInput = g.channels * g.height * g.width
        let w = UnsafePointer(parameters.slots[slot].weights.baseAddress!)
        let dw = weightGradients[slot].baseAddress!, db = biasGradients[slot].baseAddress!
        for image in 0..<count {
            for group in 0..<groups {
                let source = input + (image * groups + group) * groupInput
                let dyg = outputGradient + image * outputChannels * n + group * m * n
                let cols: UnsafePointer<Float>
                if g.isPointwise {
                    cols = source
                } else {
                    im2col(g, input: source, columns: columns.baseAddress!)
                    cols = UnsafePointer(columns.baseAddress!)
                }
                BLAS.gemm(transposeB: true, m: m, n: k, k: n, a: dyg, lda: n, b: cols, ldb: n,
                          beta: 1, c: dw + group * m * k, ldc: k)
                if hasBias { accumulateRowSums(rows: m, columns: n, matrix: dyg, sums: db + group * m) }
                guard let inputGradient else { continue }
                let dxg = inputGradient + (image * groups + group) * groupInput
                if g.isPointwise {
                    BLAS.gemm(transposeA: true, m: k, n: n, k: m, a: w + group * m * k, lda: k, b: dyg, ldb: n,
                              beta: 1, c: dxg, ldc: n)
                } else {
                    BLAS.gemm(transposeA: true, m: k, n: n, k: m, a: w + group * m * k, lda: k, b: dyg, ldb: n,
                              beta: 0, c: columnGradients.baseAddress!, ldc: n)
                    col2im(g, columns: UnsafePointer(columnGradients.baseAddress!), input: dxg)
                }
            }
        }
    }
}
