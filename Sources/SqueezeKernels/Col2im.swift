/// The adjoint of `im2col`: adds each entry of the `columnRows x columnCount`
/// column matrix back onto the input position it was read from, so that the
/// gradient of a convolution's input is `col2im(W^T * dY)`. Entries that came
/// from padding are dropped. `input` is accumulated into, not overwritten.
public func col2im(_ g: ConvolutionGeometry, columns: UnsafePointer<Float>, input: UnsafeMutablePointer<Float>) {
    let oh = g.outputHeight, ow = g.outputWidth
    let plane = g.height * g.width
    var row = columns
    for c in 0..<g.channels {
        let target = input + c * plane
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let xOffset = kx * g.dilationWidth - g.padWidth
                // Same clipping as im2col: only columns that read inside the image.
                let (firstX, lastX) = g.columnsInside(offset: xOffset)
                for y in 0..<oh {
                    let iy = y * g.strideHeight - g.padHeight + ky * g.dilationHeight
                    guard iy >= 0, iy < g.height else { continue }
                    let source = row + y * ow
                    let line = target + iy * g.width
                    if g.strideWidth == 1 {
                        addInPlace(count: lastX - firstX, source: source + firstX, target: line + firstX + xOffset)
                    } else {
                        for x in firstX..<lastX { line[x * g.strideWidth + xOffset] += source[x] }
                    }
                }
                row += oh * ow
            }
        }
    }
}

/// `target[i] += source[i]` for `count` values.
public func addInPlace(count: Int, source: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>) {
    var i = 0
    while i + 8 <= count {
        let a = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(target + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { target[i] += source[i]; i += 1 }
}

/// Adds the sum of each row of a `rows x columns` matrix to `sums[r]` (a bias gradient).
public func accumulateRowSums(rows: Int, columns: Int, matrix: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let line = matrix + r * columns
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= columns {
            acc += UnsafeRawPointer(line + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < columns { s += line[i]; i += 1 }
        sums[r] += s
    }
}
