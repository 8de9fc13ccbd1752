/// Forward passes of the weighted layers and Concat, shared by the dense
/// inference executor and the training graph so both compute the same thing.

/// A convolution over `images` NCHW images: im2col (skipped for pointwise
/// kernels) and one GEMM per image and group, the bias seeding the output.
///
/// - Parameters:
///   - weights: `[outputChannels, channels, kh, kw]` row-major (channels per group).
///   - bias: `outputChannels` values, or nil for none.
///   - columns: scratch of at least `columnRows * columnCount` floats.
public func convolve(_ g: ConvolutionGeometry, images: Int, groups: Int, outputChannels: Int,
                     weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                     columns: UnsafeMutablePointer<Float>) {
    let n = g.columnCount, k = g.columnRows, m = outputChannels / groups
    let groupInput = g.channels * g.height * g.width
    for image in 0..<images {
        for group in 0..<groups {
            let source = input + (image * groups + group) * groupInput
            let cols: UnsafePointer<Float>
            if g.isPointwise {
                cols = source
            } else {
                im2col(g, input: source, columns: columns)
                cols = UnsafePointer(columns)
            }
            let out = output + image * outputChannels * n + group * m * n
            if let bias { fillRows(rows: m, columns: n, bias: bias + group * m, output: out, rowStride: n) }
            BLAS.gemm(m: m, n: n, k: k, a: weights + group * m * k, lda: k, b: cols, ldb: n,
                      beta: bias == nil ? 0 : 1, c: out, ldc: n)
        }
    }
}

/// A fully connected layer: `y = x W^T + b` for `batch` rows of `inputs` values,
/// with `weights` `[outputs, inputs]` row-major and `bias` nil for none.
public func innerProduct(batch: Int, inputs: Int, outputs: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    if let bias {
        for b in 0..<batch { (output + b * outputs).update(from: bias, count: outputs) }
    }
    BLAS.gemm(transposeB: true, m: batch, n: outputs, k: inputs, a: input, lda: inputs, b: weights, ldb: inputs,
              beta: bias == nil ? 0 : 1, c: output, ldc: outputs)
}

/// Concatenation: for each of `outer` blocks, input `i` contributes `chunks[i]`
/// consecutive values, written one after another into `output`.
public func concatenate(outer: Int, chunks: [Int], inputs: [UnsafePointer<Float>], output: UnsafeMutablePointer<Float>) {
    let total = chunks.reduce(0, +)
    var offset = 0
    for (source, chunk) in zip(inputs, chunks) {
        for o in 0..<outer { (output + o * total + offset).update(from: source + o * chunk, count: chunk) }
        offset += chunk
    }
}
