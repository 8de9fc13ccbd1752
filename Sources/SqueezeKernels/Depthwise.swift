/// A depthwise 3x3 convolution of one plane (stride 1 or 2, dilation 1):
/// `output(y, x) = activation(bias + sum over the 3x3 taps of
/// w[ky * 3 + kx] * input(y * s + ky - padTop, x * s + kx - padLeft))`.
///
/// The input plane is read through its layout, whose border (at least the
/// padding on every side) holds zeros, so no tap needs a bounds check; the
/// output plane is written through `writePlane` (its border zeroed, the
/// activation applied). Eight outputs at a time.
public func depthwise3x3Plane(input: UnsafePointer<Float>, inputLayout: PlaneLayout, stride: Int, padTop: Int, padLeft: Int,
                              weights: UnsafePointer<Float>, bias: Float, activation: Activation,
                              output: UnsafeMutablePointer<Float>, outputLayout: PlaneLayout,
                              scratch: UnsafeMutablePointer<Float>) {
    let width = outputLayout.width, rowStride = inputLayout.rowStride
    // (0, 0) of the padded window of output (0, 0).
    let origin = input + inputLayout.origin - padTop * rowStride - padLeft
    let w = (0..<9).map { SIMD8<Float>(repeating: weights[$0]) }
    writePlane(outputLayout, output: output, bias: bias, activation: activation) { y in
        let top = origin + y * stride * rowStride
        var x = 0
        if stride == 1 {
            while x + 8 <= width {
                var sum = SIMD8<Float>()
                for ky in 0..<3 {
                    let row = UnsafeRawPointer(top + ky * rowStride + x)
                    sum += w[ky * 3] * row.loadUnaligned(as: SIMD8<Float>.self)
                    sum += w[ky * 3 + 1] * row.loadUnaligned(fromByteOffset: 4, as: SIMD8<Float>.self)
                    sum += w[ky * 3 + 2] * row.loadUnaligned(fromByteOffset: 8, as: SIMD8<Float>.self)
                }
                UnsafeMutableRawPointer(scratch + x).storeBytes(of: sum, as: SIMD8<Float>.self)
                x += 8
            }
        } else if stride == 2 {
            while x + 8 <= width {
                var sum = SIMD8<Float>()
                for ky in 0..<3 {
                    let row = UnsafeRawPointer(top + ky * rowStride + 2 * x)
                    let a = row.loadUnaligned(as: SIMD16<Float>.self)
                    let b = row.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self)
                    sum += w[ky * 3] * a.evenHalf + w[ky * 3 + 1] * a.oddHalf + w[ky * 3 + 2] * b.evenHalf
                }
                UnsafeMutableRawPointer(scratch + x).storeBytes(of: sum, as: SIMD8<Float>.self)
                x += 8
            }
        }
        while x < width {
            var sum: Float = 0
            for ky in 0..<3 {
                let row = top + ky * rowStride + x * stride
                for kx in 0..<3 { sum += weights[ky * 3 + kx] * row[kx] }
            }
            scratch[x] = sum
            x += 1
        }
        return UnsafePointer(scratch)
    }
}

/// Element-wise sum, product, maximum or minimum of several planes of the
/// same size in any layouts, written through `writePlane` (border zeroed,
/// `activation` applied); `broadcast[k]` marks an operand that is one value
/// per plane (a `[N, C, 1, 1]` gate) rather than a plane.
public func combinePlanes(_ operands: [(pointer: UnsafePointer<Float>, layout: PlaneLayout, broadcast: Bool)],
                          operation: UInt8, activation: Activation, output: UnsafeMutablePointer<Float>,
                          outputLayout: PlaneLayout, scratch: UnsafeMutablePointer<Float>) {
    let width = outputLayout.width
    writePlane(outputLayout, output: output, bias: 0, activation: activation) { y in
        for (k, o) in operands.enumerated() {
            if o.broadcast {
                let v = o.pointer[o.layout.origin]
                if k == 0 {
                    scratch.update(repeating: v, count: width)
                } else {
                    for x in 0..<width { scratch[x] = combine(scratch[x], v, operation) }
                }
                continue
            }
            let row = o.pointer + o.layout.origin + y * o.layout.rowStride
            if k == 0 {
                scratch.update(from: row, count: width)
                continue
            }
            var x = 0
            while x + 8 <= width {
                let a = UnsafeRawPointer(scratch + x).loadUnaligned(as: SIMD8<Float>.self)
                let b = UnsafeRawPointer(row + x).loadUnaligned(as: SIMD8<Float>.self)
                let r: SIMD8<Float> = switch operation {
                case 0: a + b
                case 1: a * b
                case 2: a.replacing(with: b, where: b .> a)
                default: a.replacing(with: b, where: b .< a)
                }
                UnsafeMutableRawPointer(scratch + x).storeBytes(of: r, as: SIMD8<Float>.self)
                x += 8
            }
            while x < width {
                scratch[x] = combine(scratch[x], row[x], operation)
                x += 1
            }
        }
        return UnsafePointer(scratch)
    }
}

@inline(__always)
private func combine(_ a: Float, _ b: Float, _ operation: UInt8) -> Float {
    switch operation {
    case 0: a + b
    case 1: a * b
    case 2: max(a, b)
    default: min(a, b)
    }
}

/// A dense pointwise (1x1) convolution of `inputs` planes into the output
/// planes `channels` (a range of output channels), written straight into the
/// output layout with `bias` and `activation`: per output row, each output
/// channel's eight-wide runs take one multiply-add per input plane, reading
/// input rows that stay in L1. Suits wide planes with few input channels
/// (MobileNet's early expansions), where a GEMM is bound by its packing.
public func pointwisePlanes(inputs: Int, input: UnsafePointer<Float>, inputLayout: PlaneLayout,
                            weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
                            channels: Range<Int>, output: UnsafeMutablePointer<Float>, outputLayout: PlaneLayout,
                            scratch: UnsafeMutablePointer<Float>) {
    let width = outputLayout.width
    for m in channels {
        let w = weights + m * inputs
        writePlane(outputLayout, output: output + m * outputLayout.planeStride, bias: bias[m], activation: activation) { y in
            let row = input + inputLayout.origin + y * inputLayout.rowStride
            var x = 0
            while x + 8 <= width {
                var sum = SIMD8<Float>()
                for k in 0..<inputs {
                    sum += SIMD8(repeating: w[k]) * UnsafeRawPointer(row + k * inputLayout.planeStride + x).loadUnaligned(as: SIMD8<Float>.self)
                }
                UnsafeMutableRawPointer(scratch + x).storeBytes(of: sum, as: SIMD8<Float>.self)
                x += 8
            }
            while x < width {
                var sum: Float = 0
                for k in 0..<inputs { sum += w[k] * row[k * inputLayout.planeStride + x] }
                scratch[x] = sum
                x += 1
            }
            return UnsafePointer(scratch)
        }
    }
}
