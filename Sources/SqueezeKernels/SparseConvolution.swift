/// Kernels of the compressed executor: a convolution as a sum of shifted input
/// planes, one per stored (non-zero) weight.
///
/// With the input padded (or split into stride phases) for the convolution,
/// output position `j` of an output channel's grid reads input `j + offset` for
/// a weight whose input channel and kernel tap give `offset`. So each weight
/// adds `w * input[offset ..< offset + count]` to the grid: contiguous,
/// vectorised along the spatial dimension, with the weight's index decoded once
/// per row and its broadcast amortised over a tile of eight vectors held in registers.
///
/// This file is compiled twice: into SqueezeKernels with eight-float vectors
/// for AVX2, and (through a link) into SqueezeKernelsAVX512 with sixteen-float
/// vectors, where `SQUEEZE_AVX512` is defined. The executor picks one at run time.

#if SQUEEZE_AVX512
/// The kernels' vector: sixteen floats, one ZMM register.
typealias Vector = SIMD16<Float>
#else
/// The kernels' vector: eight floats, one YMM register.
typealias Vector = SIMD8<Float>

/// Rounds `count` up to the kernels' granule of 32 values: the number of grid
/// values they write, and of values they read from each shifted input run.
/// (A multiple of both builds' vectors, so either fills it exactly.)
@inline(__always) public func gridSpan(_ count: Int) -> Int { granuleSpan(count) }
#endif

/// Grid values one tile of `sparseConvolveRow` covers (eight vectors, eight
/// independent multiply-add chains): spatial blocks a multiple of this run no
/// narrower tiles but the last.
public var sparseRowTile: Int { 8 * Vector.scalarCount }

/// `gridSpan` in either build (the executor reads it from SqueezeKernels).
@inline(__always) func granuleSpan(_ count: Int) -> Int { (count + 31) & ~31 }

@inline(__always)
private func load(_ p: UnsafeRawPointer, _ k: Int) -> Vector {
    p.loadUnaligned(fromByteOffset: k * MemoryLayout<Vector>.size, as: Vector.self)
}

@inline(__always)
private func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ k: Int) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, toByteOffset: k * MemoryLayout<Vector>.size, as: Vector.self)
}

/// The starting value of an accumulator: what the grid holds, or zero.
@inline(__always)
private func start(_ grid: UnsafeMutablePointer<Float>, _ k: Int, _ accumulate: Bool) -> Vector {
    accumulate ? load(grid, k) : Vector()
}

/// One output channel: `grid[j] = sum over e of weights[e] * input[offsets[e] + j]`
/// for `j` in `0 ..< gridSpan(count)`; with `accumulate`, the sum is added to
/// what `grid` holds (so a row's entries can run one block of input channels
/// at a time, each block's input runs staying in L1).
///
/// Reads `input[offsets[e] ..< offsets[e] + gridSpan(count)]` for every entry.
public func sparseConvolveRow(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                              input: UnsafePointer<Float>, count: Int, grid: UnsafeMutablePointer<Float>,
                              accumulate: Bool = false) {
    let span = granuleSpan(count), lanes = Vector.scalarCount
    var j = 0
    while j + 8 * lanes <= span {
        tile8(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j, accumulate: accumulate)
        j += 8 * lanes
    }
    while j + 4 * lanes <= span {
        tile4(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j, accumulate: accumulate)
        j += 4 * lanes
    }
    // Only sixteen-float vectors get here: the granule's last 32 values.
    while j < span {
        tile2(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j, accumulate: accumulate)
        j += 2 * lanes
    }
}

@inline(__always)
private func tile2(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                   input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, accumulate: Bool) {
    var a0 = start(grid, 0, accumulate), a1 = start(grid, 1, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let w = Vector(repeating: weights[e])
        a0 = a0.addingProduct(load(p, 0), w)
        a1 = a1.addingProduct(load(p, 1), w)
    }
    store(a0, grid, 0)
    store(a1, grid, 1)
}

@inline(__always)
private func tile4(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                   input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, accumulate: Bool) {
    var a0 = start(grid, 0, accumulate), a1 = start(grid, 1, accumulate)
    var a2 = start(grid, 2, accumulate), a3 = start(grid, 3, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let w = Vector(repeating: weights[e])
        a0 = a0.addingProduct(load(p, 0), w)
        a1 = a1.addingProduct(load(p, 1), w)
        a2 = a2.addingProduct(load(p, 2), w)
        a3 = a3.addingProduct(load(p, 3), w)
    }
    store(a0, grid, 0)
    store(a1, grid, 1)
    store(a2, grid, 2)
    store(a3, grid, 3)
}

@inline(__always)
private func tile8(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                   input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, accumulate: Bool) {
    var a0 = start(grid, 0, accumulate), a1 = start(grid, 1, accumulate)
    var a2 = start(grid, 2, accumulate), a3 = start(grid, 3, accumulate)
    var a4 = start(grid, 4, accumulate), a5 = start(grid, 5, accumulate)
    var a6 = start(grid, 6, accumulate), a7 = start(grid, 7, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let w = Vector(repeating: weights[e])
        a0 = a0.addingProduct(load(p, 0), w)
        a1 = a1.addingProduct(load(p, 1), w)
        a2 = a2.addingProduct(load(p, 2), w)
        a3 = a3.addingProduct(load(p, 3), w)
        a4 = a4.addingProduct(load(p, 4), w)
        a5 = a5.addingProduct(load(p, 5), w)
        a6 = a6.addingProduct(load(p, 6), w)
        a7 = a7.addingProduct(load(p, 7), w)
    }
    store(a0, grid, 0)
    store(a1, grid, 1)
    store(a2, grid, 2)
    store(a3, grid, 3)
    store(a4, grid, 4)
    store(a5, grid, 5)
    store(a6, grid, 6)
    store(a7, grid, 7)
}

/// Four output channels at once, for nearly dense layers: each entry carries
/// four weights (zero where a channel has no weight at that position), so one
/// load of the shifted input feeds four multiply-adds.
/// `grid + r * gridStride` receives channel `r`; reads and `accumulate` as
/// `sparseConvolveRow`.
public func sparseConvolveRows4(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, count: Int,
                                grid: UnsafeMutablePointer<Float>, gridStride: Int, accumulate: Bool = false) {
    let span = granuleSpan(count), lanes = Vector.scalarCount
    var j = 0
    while j + 3 * lanes <= span {
        quadTile3(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j,
                  gridStride: gridStride, accumulate: accumulate)
        j += 3 * lanes
    }
    while j < span {
        quadVector(entries: entries, offsets: offsets, weights: weights, weightStride: 4, input: input + j,
                   grid: grid + j, gridStride: gridStride, accumulate: accumulate)
        j += lanes
    }
}

/// One vector of four rows: the tail of the multi-row kernels. Entry `e`'s
/// weights for the four rows are `weights[weightStride * e ..< weightStride * e + 4]`.
@inline(__always)
private func quadVector(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>, weightStride: Int,
                        input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, gridStride: Int,
                        accumulate: Bool) {
    var a0 = start(grid, 0, accumulate), a1 = start(grid + gridStride, 0, accumulate)
    var a2 = start(grid + 2 * gridStride, 0, accumulate), a3 = start(grid + 3 * gridStride, 0, accumulate)
    for e in 0..<entries {
        let x = load(UnsafeRawPointer(input + Int(offsets[e])), 0)
        let w = weights + weightStride * e
        a0 = a0.addingProduct(x, Vector(repeating: w[0]))
        a1 = a1.addingProduct(x, Vector(repeating: w[1]))
        a2 = a2.addingProduct(x, Vector(repeating: w[2]))
        a3 = a3.addingProduct(x, Vector(repeating: w[3]))
    }
    store(a0, grid, 0)
    store(a1, grid + gridStride, 0)
    store(a2, grid + 2 * gridStride, 0)
    store(a3, grid + 3 * gridStride, 0)
}

@inline(__always)
private func quadTile3(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                       input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, gridStride: Int,
                       accumulate: Bool) {
    let g0 = grid, g1 = grid + gridStride, g2 = grid + 2 * gridStride, g3 = grid + 3 * gridStride
    var a00 = start(g0, 0, accumulate), a01 = start(g0, 1, accumulate), a02 = start(g0, 2, accumulate)
    var a10 = start(g1, 0, accumulate), a11 = start(g1, 1, accumulate), a12 = start(g1, 2, accumulate)
    var a20 = start(g2, 0, accumulate), a21 = start(g2, 1, accumulate), a22 = start(g2, 2, accumulate)
    var a30 = start(g3, 0, accumulate), a31 = start(g3, 1, accumulate), a32 = start(g3, 2, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let x0 = load(p, 0), x1 = load(p, 1), x2 = load(p, 2)
        let w = weights + 4 * e
        let w0 = Vector(repeating: w[0]), w1 = Vector(repeating: w[1])
        let w2 = Vector(repeating: w[2]), w3 = Vector(repeating: w[3])
        a00 = a00.addingProduct(x0, w0); a01 = a01.addingProduct(x1, w0); a02 = a02.addingProduct(x2, w0)
        a10 = a10.addingProduct(x0, w1); a11 = a11.addingProduct(x1, w1); a12 = a12.addingProduct(x2, w1)
        a20 = a20.addingProduct(x0, w2); a21 = a21.addingProduct(x1, w2); a22 = a22.addingProduct(x2, w2)
        a30 = a30.addingProduct(x0, w3); a31 = a31.addingProduct(x1, w3); a32 = a32.addingProduct(x2, w3)
    }
    store(a00, g0, 0); store(a01, g0, 1); store(a02, g0, 2)
    store(a10, g1, 0); store(a11, g1, 1); store(a12, g1, 2)
    store(a20, g2, 0); store(a21, g2, 1); store(a22, g2, 2)
    store(a30, g3, 0); store(a31, g3, 1); store(a32, g3, 2)
}

/// Eight output channels at once, for nearly dense layers where the vector
/// registers hold 24 accumulators (AVX-512): each entry carries eight weights,
/// so one load of the shifted input feeds eight multiply-adds, half the loads
/// (and L2 traffic) of `sparseConvolveRows4` per multiply-add.
/// `grid + r * gridStride` receives channel `r`; reads and `accumulate` as
/// `sparseConvolveRow`.
public func sparseConvolveRows8(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, count: Int,
                                grid: UnsafeMutablePointer<Float>, gridStride: Int, accumulate: Bool = false) {
    let span = granuleSpan(count), lanes = Vector.scalarCount
    var j = 0
    while j + 3 * lanes <= span {
        octTile3(entries: entries, offsets: offsets, weights: weights, input: input + j, grid: grid + j,
                 gridStride: gridStride, accumulate: accumulate)
        j += 3 * lanes
    }
    // The last vectors: four rows at a time.
    while j < span {
        for half in 0..<2 {
            quadVector(entries: entries, offsets: offsets, weights: weights + 4 * half, weightStride: 8,
                       input: input + j, grid: grid + 4 * half * gridStride + j, gridStride: gridStride,
                       accumulate: accumulate)
        }
        j += lanes
    }
}

@inline(__always)
private func octTile3(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                      input: UnsafePointer<Float>, grid: UnsafeMutablePointer<Float>, gridStride: Int,
                      accumulate: Bool) {
    let g0 = grid, g1 = grid + gridStride, g2 = grid + 2 * gridStride, g3 = grid + 3 * gridStride
    let g4 = grid + 4 * gridStride, g5 = grid + 5 * gridStride, g6 = grid + 6 * gridStride, g7 = grid + 7 * gridStride
    var a00 = start(g0, 0, accumulate), a01 = start(g0, 1, accumulate), a02 = start(g0, 2, accumulate)
    var a10 = start(g1, 0, accumulate), a11 = start(g1, 1, accumulate), a12 = start(g1, 2, accumulate)
    var a20 = start(g2, 0, accumulate), a21 = start(g2, 1, accumulate), a22 = start(g2, 2, accumulate)
    var a30 = start(g3, 0, accumulate), a31 = start(g3, 1, accumulate), a32 = start(g3, 2, accumulate)
    var a40 = start(g4, 0, accumulate), a41 = start(g4, 1, accumulate), a42 = start(g4, 2, accumulate)
    var a50 = start(g5, 0, accumulate), a51 = start(g5, 1, accumulate), a52 = start(g5, 2, accumulate)
    var a60 = start(g6, 0, accumulate), a61 = start(g6, 1, accumulate), a62 = start(g6, 2, accumulate)
    var a70 = start(g7, 0, accumulate), a71 = start(g7, 1, accumulate), a72 = start(g7, 2, accumulate)
    for e in 0..<entries {
        let p = UnsafeRawPointer(input + Int(offsets[e]))
        let x0 = load(p, 0), x1 = load(p, 1), x2 = load(p, 2)
        let w = weights + 8 * e
        var v = Vector(repeating: w[0])
        a00 = a00.addingProduct(x0, v); a01 = a01.addingProduct(x1, v); a02 = a02.addingProduct(x2, v)
        v = Vector(repeating: w[1])
        a10 = a10.addingProduct(x0, v); a11 = a11.addingProduct(x1, v); a12 = a12.addingProduct(x2, v)
        v = Vector(repeating: w[2])
        a20 = a20.addingProduct(x0, v); a21 = a21.addingProduct(x1, v); a22 = a22.addingProduct(x2, v)
        v = Vector(repeating: w[3])
        a30 = a30.addingProduct(x0, v); a31 = a31.addingProduct(x1, v); a32 = a32.addingProduct(x2, v)
        v = Vector(repeating: w[4])
        a40 = a40.addingProduct(x0, v); a41 = a41.addingProduct(x1, v); a42 = a42.addingProduct(x2, v)
        v = Vector(repeating: w[5])
        a50 = a50.addingProduct(x0, v); a51 = a51.addingProduct(x1, v); a52 = a52.addingProduct(x2, v)
        v = Vector(repeating: w[6])
        a60 = a60.addingProduct(x0, v); a61 = a61.addingProduct(x1, v); a62 = a62.addingProduct(x2, v)
        v = Vector(repeating: w[7])
        a70 = a70.addingProduct(x0, v); a71 = a71.addingProduct(x1, v); a72 = a72.addingProduct(x2, v)
    }
    store(a00, g0, 0); store(a01, g0, 1); store(a02, g0, 2)
    store(a10, g1, 0); store(a11, g1, 1); store(a12, g1, 2)
    store(a20, g2, 0); store(a21, g2, 1); store(a22, g2, 2)
    store(a30, g3, 0); store(a31, g3, 1); store(a32, g3, 2)
    store(a40, g4, 0); store(a41, g4, 1); store(a42, g4, 2)
    store(a50, g5, 0); store(a51, g5, 1); store(a52, g5, 2)
    store(a60, g6, 0); store(a61, g6, 1); store(a62, g6, 2)
    store(a70, g7, 0); store(a71, g7, 1); store(a72, g7, 2)
}

#if !SQUEEZE_AVX512
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
#endif
