/// Kernels of the compressed executor: a convolution as a sum of shifted input
/// planes, one per stored (non-zero) weight.
///
/// With the input padded (or split into stride phases) for the convolution,
/// output position `j` of an output channel's grid reads input `j + offset` for
/// a weight whose input channel and kernel tap give `offset`. So each weight
/// adds `w * input[offset ..< offset + count]` to the grid: contiguous,
/// vectorised along the spatial dimension, with the weight's index decoded once
/// per row and its broadcast amortised over a tile of 64 outputs held in registers.

/// Rounds `count` up to the kernels' granule of 32 values: the number of grid
/// values they write, and of values they read from each shifted input run.
/// (Tiles of at least four vectors keep four independent multiply-add chains.)
@inline(__always) public func gridSpan(_ count: Int) -> Int { (count + 31) & ~31 }

/// One output channel: `grid[j] = sum over e of weights[e] * input[offsets[e] + j]`
/// for `j` in `0 ..< gridSpan(count)`; with `accumulate`, the sum is added to
/// what `grid` holds (so a row's entries can run one block of input channels
/// at a time, each block's input runs staying in L1).
///
/// Reads `input[offsets[e] ..< offsets[e] + gridSpan(count)]` for every entry.
public func sparseConvolveRow(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                              input: UnsafePointer<Float>, count: Int, grid: UnsafeMutablePointer<Float>,
                              accumulate: Bool = false) {
    let span = gridSpan(count)
    var j = 0
    while j + 64 <= span {
        tile8(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j, accumulate: accumulate)
        j += 64
    }
    while j < span {
        tile4(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j, accumulate: accumulate)
        j += 32
    }
}

/// The starting value of an accumulator: what the grid holds, or zero.
@inline(__always)
private func start(_ grid: UnsafeMutablePointer<Float>, _ byteOffset: Int, _ accumulate: Bool) -> SIMD8<Float> {
    accumulate ? UnsafeRawPointer(grid).loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self) : SIMD8()
}

@inline(__always)
private func tile4(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                   input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, accumulate: Bool) {
    var a0 = start(grid, 0, accumulate), a1 = start(grid, 32, accumulate)
    var a2 = start(grid, 64, accumulate), a3 = start(grid, 96, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let w = SIMD8<Float>(repeating: weights[e])
        a0 = a0.addingProduct(p.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self), w)
        a1 = a1.addingProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w)
        a2 = a2.addingProduct(p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w)
        a3 = a3.addingProduct(p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self), w)
    }
    let g = UnsafeMutableRawPointer(grid)
    g.storeBytes(of: a0, toByteOffset: 0, as: SIMD8<Float>.self)
    g.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
    g.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
    g.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
}

@inline(__always)
private func tile8(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                   input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, accumulate: Bool) {
    var a0 = start(grid, 0, accumulate), a1 = start(grid, 32, accumulate)
    var a2 = start(grid, 64, accumulate), a3 = start(grid, 96, accumulate)
    var a4 = start(grid, 128, accumulate), a5 = start(grid, 160, accumulate)
    var a6 = start(grid, 192, accumulate), a7 = start(grid, 224, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let w = SIMD8<Float>(repeating: weights[e])
        a0 = a0.addingProduct(p.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self), w)
        a1 = a1.addingProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w)
        a2 = a2.addingProduct(p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w)
        a3 = a3.addingProduct(p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self), w)
        a4 = a4.addingProduct(p.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self), w)
        a5 = a5.addingProduct(p.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self), w)
        a6 = a6.addingProduct(p.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self), w)
        a7 = a7.addingProduct(p.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self), w)
    }
    let g = UnsafeMutableRawPointer(grid)
    g.storeBytes(of: a0, toByteOffset: 0, as: SIMD8<Float>.self)
    g.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
    g.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
    g.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
    g.storeBytes(of: a4, toByteOffset: 128, as: SIMD8<Float>.self)
    g.storeBytes(of: a5, toByteOffset: 160, as: SIMD8<Float>.self)
    g.storeBytes(of: a6, toByteOffset: 192, as: SIMD8<Float>.self)
    g.storeBytes(of: a7, toByteOffset: 224, as: SIMD8<Float>.self)
}

/// Four output channels at once, for nearly dense layers: each entry carries
/// four weights (zero where a channel has no weight at that position), so one
/// load of the shifted input feeds four multiply-adds.
/// `grid + r * gridStride` receives channel `r`; reads and `accumulate` as
/// `sparseConvolveRow`.
public func sparseConvolveRows4(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, count: Int,
                                grid: UnsafeMutablePointer<Float>, gridStride: Int, accumulate: Bool = false) {
    let span = gridSpan(count)
    var j = 0
    while j + 24 <= span {
        quadTile3(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j,
                  gridStride: gridStride, accumulate: accumulate)
        j += 24
    }
    while j < span {
        let g = grid + j
        var a0 = start(g, 0, accumulate), a1 = start(g + gridStride, 0, accumulate)
        var a2 = start(g + 2 * gridStride, 0, accumulate), a3 = start(g + 3 * gridStride, 0, accumulate)
        for e in 0..<entries {
            let x = UnsafeRawPointer(input + j + Int(offsets[e])).loadUnaligned(as: SIMD8<Float>.self)
            let w = weights + 4 * e
            a0 = a0.addingProduct(x, SIMD8(repeating: w[0]))
            a1 = a1.addingProduct(x, SIMD8(repeating: w[1]))
            a2 = a2.addingProduct(x, SIMD8(repeating: w[2]))
            a3 = a3.addingProduct(x, SIMD8(repeating: w[3]))
        }
        UnsafeMutableRawPointer(grid + j).storeBytes(of: a0, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(grid + gridStride + j).storeBytes(of: a1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(grid + 2 * gridStride + j).storeBytes(of: a2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(grid + 3 * gridStride + j).storeBytes(of: a3, as: SIMD8<Float>.self)
        j += 8
    }
}

@inline(__always)
private func quadTile3(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                       input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, gridStride: Int,
                       accumulate: Bool) {
    let g0 = grid, g1 = grid + gridStride, g2 = grid + 2 * gridStride, g3 = grid + 3 * gridStride
    var a00 = start(g0, 0, accumulate), a01 = start(g0, 32, accumulate), a02 = start(g0, 64, accumulate)
    var a10 = start(g1, 0, accumulate), a11 = start(g1, 32, accumulate), a12 = start(g1, 64, accumulate)
    var a20 = start(g2, 0, accumulate), a21 = start(g2, 32, accumulate), a22 = start(g2, 64, accumulate)
    var a30 = start(g3, 0, accumulate), a31 = start(g3, 32, accumulate), a32 = start(g3, 64, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let x0 = p.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self)
        let x1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let x2 = p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
        let w = weights + 4 * e
        let w0 = SIMD8<Float>(repeating: w[0]), w1 = SIMD8<Float>(repeating: w[1])
        let w2 = SIMD8<Float>(repeating: w[2]), w3 = SIMD8<Float>(repeating: w[3])
        a00 = a00.addingProduct(x0, w0); a01 = a01.addingProduct(x1, w0); a02 = a02.addingProduct(x2, w0)
        a10 = a10.addingProduct(x0, w1); a11 = a11.addingProduct(x1, w1); a12 = a12.addingProduct(x2, w1)
        a20 = a20.addingProduct(x0, w2); a21 = a21.addingProduct(x1, w2); a22 = a22.addingProduct(x2, w2)
        a30 = a30.addingProduct(x0, w3); a31 = a31.addingProduct(x1, w3); a32 = a32.addingProduct(x2, w3)
    }
    func store(_ r: Int, _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>) {
        let g = UnsafeMutableRawPointer(grid + r * gridStride)
        g.storeBytes(of: x0, toByteOffset: 0, as: SIMD8<Float>.self)
        g.storeBytes(of: x1, toByteOffset: 32, as: SIMD8<Float>.self)
        g.storeBytes(of: x2, toByteOffset: 64, as: SIMD8<Float>.self)
    }
    store(0, a00, a01, a02)
    store(1, a10, a11, a12)
    store(2, a20, a21, a22)
    store(3, a30, a31, a32)
}

/// A sparse dot product for fully connected layers: `sum of weights[e] * input[offsets[e]]`.
public func sparseDot(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                      input: UnsafePointer<Float>) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var e = 0
    while e + 4 <= entries {
        s0 += weights[e] * input[Int(offsets[e])]
        s1 += weights[e + 1] * input[Int(offsets[e + 1])]
        s2 += weights[e + 2] * input[Int(offsets[e + 2])]
        s3 += weights[e + 3] * input[Int(offsets[e + 3])]
        e += 4
    }
    while e < entries {
        s0 += weights[e] * input[Int(offsets[e])]
        e += 1
    }
    return (s0 + s1) + (s2 + s3)
}
