import RealModule

/// `x = max(x, 0) + slope * min(x, 0)` over `count` values, in place allowed
/// (`input` may equal `output`).
public func relu(count: Int, slope: Float = 0, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    var i = 0
    let zero = SIMD8<Float>(repeating: 0)
    if slope == 0 {
        while i + 8 <= count {
            let v = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(output + i).storeBytes(of: v.replacing(with: zero, where: v .< zero), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { output[i] = max(input[i], 0); i += 1 }
    } else {
        while i < count {
            let v = input[i]
            output[i] = v > 0 ? v : v * slope
            i += 1
        }
    }
}

/// Writes `bias[r]` into every element of row `r` of a `rows x columns` matrix
/// (the starting value of a GEMM with beta = 1).
public func fillRows(rows: Int, columns: Int, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, rowStride: Int) {
    for r in 0..<rows {
        (output + r * rowStride).update(repeating: bias?[r] ?? 0, count: columns)
    }
}

/// Numerically stable softmax over `classes` values spaced `stride` apart, for
/// `outer x inner` independent groups (NCHW softmax over C: outer = N, inner = H*W).
public func softmax(outer: Int, classes: Int, inner: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    for o in 0..<outer {
        for i in 0..<inner {
            let base = o * classes * inner + i
            var top = -Float.infinity
            for c in 0..<classes { top = max(top, input[base + c * inner]) }
            var sum: Float = 0
            for c in 0..<classes {
                let e = Float.exp(input[base + c * inner] - top)
                output[base + c * inner] = e
                sum += e
            }
            let scale = 1 / sum
            for c in 0..<classes { output[base + c * inner] *= scale }
        }
    }
}


/// `y[i] += x[i]` for `i` in `0..<count`.
public func add(count: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    var i = 0
    while i + 8 <= count {
        let sum = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: sum, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        y[i] += x[i]
        i += 1
    }
}
