/// Backward passes of the non-weighted layers. Every function accumulates into
/// the input gradient (`+=`), because a blob read by several layers (a fire
/// module's squeeze output feeds both expands) receives the sum of their gradients.

/// ReLU: `dx += dy` where the input was positive, `slope * dy` elsewhere.
public func reluBackward(count: Int, slope: Float, input: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
    var i = 0
    if slope == 0 {
        let zero = SIMD8<Float>(repeating: 0)
        while i + 8 <= count {
            let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
            let dy = UnsafeRawPointer(outputGradient + i).loadUnaligned(as: SIMD8<Float>.self)
            let dx = UnsafeRawPointer(inputGradient + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(inputGradient + i).storeBytes(
                of: dx + dy.replacing(with: zero, where: x .<= zero), as: SIMD8<Float>.self)
            i += 8
        }
    }
    while i < count {
        inputGradient[i] += input[i] > 0 ? outputGradient[i] : slope * outputGradient[i]
        i += 1
    }
}

/// Max pooling that also records, for each output, the flat index (within its
/// plane) of the input that won, for `maxPoolBackward`.
public func maxPool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>,
                    output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let src = input + p * inPlane, dst = output + p * outPlane, arg = argmax + p * outPlane
        for oy in 0..<g.outputHeight {
            let rows = g.window(output: oy, axis: .vertical).positions
            for ox in 0..<g.outputWidth {
                let columns = g.window(output: ox, axis: .horizontal).positions
                var best = -Float.infinity
                var at = rows.lowerBound * g.width + columns.lowerBound
                for y in rows {
                    for x in columns where src[y * g.width + x] > best {
                        best = src[y * g.width + x]
                        at = y * g.width + x
                    }
                }
                dst[oy * g.outputWidth + ox] = best
                arg[oy * g.outputWidth + ox] = Int32(at)
            }
        }
    }
}

/// Max pooling's gradient: each output's gradient goes to the input that won.
public func maxPoolBackward(_ g: PoolingGeometry, planes: Int, argmax: UnsafePointer<Int32>,
                            outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let dx = inputGradient + p * inPlane, dy = outputGradient + p * outPlane, arg = argmax + p * outPlane
        for i in 0..<outPlane { dx[Int(arg[i])] += dy[i] }
    }
}

/// Average pooling's gradient, with the same divisor convention as `averagePool`.
public func averagePoolBackward(_ g: PoolingGeometry, planes: Int,
                                outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let dx = inputGradient + p * inPlane, dy = outputGradient + p * outPlane
        for oy in 0..<g.outputHeight {
            let (rows, rowCount) = g.window(output: oy, axis: .vertical)
            for ox in 0..<g.outputWidth {
                let (columns, columnCount) = g.window(output: ox, axis: .horizontal)
                let share = dy[oy * g.outputWidth + ox] / Float(rowCount * columnCount)
                for y in rows {
                    for x in columns { dx[y * g.width + x] += share }
                }
            }
        }
    }
}

/// Global average pooling's gradient: each plane's gradient is spread evenly.
public func globalAveragePoolBackward(planes: Int, planeSize: Int,
                                      outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        let share = outputGradient[p] / Float(planeSize)
        let dx = inputGradient + p * planeSize
        for i in 0..<planeSize { dx[i] += share }
    }
}
