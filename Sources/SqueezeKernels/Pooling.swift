/// The geometry of windowed pooling over one plane.
public struct PoolingGeometry: Sendable, Hashable {
    /// Input height and width.
    public var height: Int, width: Int
    /// Output height and width (Caffe's ceil-mode sizes are computed by the caller).
    public var outputHeight: Int, outputWidth: Int
    /// Window size.
    public var kernelHeight: Int, kernelWidth: Int
    /// Stride.
    public var strideHeight: Int, strideWidth: Int
    /// Padding before the first row and column.
    public var padHeight: Int, padWidth: Int
    /// Padding after the last row and column.
    public var padBottom: Int, padRight: Int
    /// Whether an average divides by the window clipped to the padded input
    /// (Caffe, ONNX `count_include_pad=1`) or by the input values it covers.
    public var countsPadding: Bool

    /// A pooling geometry; the padding after defaults to the padding before.
    public init(height: Int, width: Int, outputHeight: Int, outputWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                padHeight: Int, padWidth: Int, padBottom: Int? = nil, padRight: Int? = nil, countsPadding: Bool = true) {
        self.height = height
        self.width = width
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padHeight = padHeight
        self.padWidth = padWidth
        self.padBottom = padBottom ?? padHeight
        self.padRight = padRight ?? padWidth
        self.countsPadding = countsPadding
    }
}

extension PoolingGeometry {
    /// An axis of the pooled plane.
    public enum Axis: Sendable { case vertical, horizontal }

    /// The input positions the window at `output` reads along `axis`, clipped to
    /// the input (max and average pooling alike), and average pooling's divisor
    /// factor for that axis: the window clipped to the padded input (Caffe counts
    /// padding, not beyond it), or the positions read when padding does not count.
    @inline(__always)
    public func window(output o: Int, axis: Axis) -> (positions: Range<Int>, divisor: Int) {
        let (stride, pad, padEnd, kernel, size) = axis == .vertical
            ? (strideHeight, padHeight, padBottom, kernelHeight, height) : (strideWidth, padWidth, padRight, kernelWidth, width)
        let start = o * stride - pad
        let end = min(start + kernel, size + padEnd)
        let positions = max(start, 0)..<max(min(end, size), max(start, 0))
        return (positions, countsPadding ? end - start : max(positions.count, 1))
    }
}

extension PoolingGeometry {
    /// The input plane stored densely.
    public var denseInput: PlaneLayout { PlaneLayout(height: height, width: width) }
    /// The output plane stored densely.
    public var denseOutput: PlaneLayout { PlaneLayout(height: outputHeight, width: outputWidth) }
}

/// Max pooling of `planes` planes, Caffe semantics: windows are clipped to the
/// input, so padding never wins.
public func maxPool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    maxPool(g, planes: planes, input: input, inputLayout: g.denseInput, output: output, outputLayout: g.denseOutput)
}

/// Max pooling between planes in any layouts (the output border is written
/// with zeros).
public func maxPool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, inputLayout: PlaneLayout,
                    output: UnsafeMutablePointer<Float>, outputLayout: PlaneLayout) {
    for p in 0..<planes {
        maxPoolPlane(g, input: input + p * inputLayout.planeStride + inputLayout.origin, rowStride: inputLayout.rowStride,
                     output: output + p * outputLayout.planeStride, outputLayout: outputLayout)
    }
}

/// Max pooling of one plane whose row `y` starts at `input + y * rowStride`,
/// then `+ bias` and `activation`, into a plane of
/// `outputLayout`. With `rows`, only those output rows (and the borders next
/// to them) are written.
///
/// Bias and a non-decreasing activation (a ReLU with a slope of at least zero, a clip) never change which value is
/// largest (rounding is monotonic), so a convolution's raw sums can be pooled
/// first and finished after: fewer values to finish, the same results.
///
/// Each output row takes the column-wise maximum of its window's rows first
/// (vectorised), then the maximum of each window's columns.
public func maxPoolPlane(_ g: PoolingGeometry, input: UnsafePointer<Float>, rowStride: Int, rows: Range<Int>? = nil,
                         bias: Float = 0, activation: Activation = .identity,
                         output: UnsafeMutablePointer<Float>, outputLayout: PlaneLayout) {
    precondition(activation.isNonDecreasing, "pooling before an activation needs a non-decreasing one")
    // Column maxima get 32 values of slack so whole vectors may be read past the row.
    let rowSpace = g.width + 32
    // Outputs [0, vectorEnd) have whole 3-wide, stride-2 windows: the common
    // SqueezeNet/AlexNet case, done 8 outputs at a time.
    var vectorEnd = 0, lastVector: Int?
    if g.kernelWidth == 3, g.strideWidth == 2, g.padWidth == 0 {
        let whole = min(g.outputWidth, (g.width - 3) / 2 + 1)
        vectorEnd = whole & ~7
        // The rest of the whole windows as one vector ending at the last,
        // recomputing a few (instead of one scalar window at a time).
        if whole > vectorEnd, whole >= 8 { lastVector = whole - 8 }
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: rowSpace + g.outputWidth) { scratch in
        let columnMax = scratch.baseAddress!, pooled = columnMax + rowSpace
        columnMax.initialize(repeating: 0, count: rowSpace)
        writePlane(outputLayout, rows: rows, output: output, bias: bias, activation: activation) { oy in
            let window = g.window(output: oy, axis: .vertical).positions
            maxOfRows(input + window.lowerBound * rowStride, count: window.count, rowStride: rowStride, width: g.width,
                      into: columnMax)
            var ox = 0
            while ox < vectorEnd {
                let a = UnsafeRawPointer(columnMax + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(columnMax + 2 * ox + 2).loadUnaligned(as: SIMD16<Float>.self)
                let m = larger(larger(a.evenHalf, a.oddHalf), b.evenHalf)
                UnsafeMutableRawPointer(pooled + ox).storeBytes(of: m, as: SIMD8<Float>.self)
                ox += 8
            }
            if let last = lastVector {
                let a = UnsafeRawPointer(columnMax + 2 * last).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(columnMax + 2 * last + 2).loadUnaligned(as: SIMD16<Float>.self)
                let m = larger(larger(a.evenHalf, a.oddHalf), b.evenHalf)
                UnsafeMutableRawPointer(pooled + last).storeBytes(of: m, as: SIMD8<Float>.self)
                ox = last + 8
            }
            while ox < g.outputWidth {
                var best = -Float.infinity
                for x in g.window(output: ox, axis: .horizontal).positions where columnMax[x] > best { best = columnMax[x] }
                pooled[ox] = best
                ox += 1
            }
            return UnsafePointer(pooled)
        }
    }
}

/// Lane-wise maximum (`pointwiseMax` does not become one instruction).
@inline(__always)
private func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

/// `out[x] = max over r < count of rows[r * rowStride + x]` for `x < width`
/// (an empty window gives -inf).
@inline(__always)
private func maxOfRows(_ rows: UnsafePointer<Float>, count: Int, rowStride: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
    var x = 0
    if count == 3 {
        // The common window height, unrolled: a loop over three rows cost as
        // much as the maxima.
        let r0 = UnsafeRawPointer(rows), r1 = UnsafeRawPointer(rows + rowStride), r2 = UnsafeRawPointer(rows + 2 * rowStride)
        while x + 8 <= width {
            let m = larger(larger(r0.loadUnaligned(fromByteOffset: 4 * x, as: SIMD8<Float>.self),
                                  r1.loadUnaligned(fromByteOffset: 4 * x, as: SIMD8<Float>.self)),
                           r2.loadUnaligned(fromByteOffset: 4 * x, as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(out + x).storeBytes(of: m, as: SIMD8<Float>.self)
            x += 8
        }
    }
    while x + 8 <= width {
        var m = SIMD8<Float>(repeating: -.infinity)
        for r in 0..<count { m = larger(m, UnsafeRawPointer(rows + r * rowStride + x).loadUnaligned(as: SIMD8<Float>.self)) }
        UnsafeMutableRawPointer(out + x).storeBytes(of: m, as: SIMD8<Float>.self)
        x += 8
    }
    // The tail as one vector ending at `width` (`out` is separate from the rows).
    if x < width, width >= 8 {
        x = width - 8
        var m = SIMD8<Float>(repeating: -.infinity)
        for r in 0..<count { m = larger(m, UnsafeRawPointer(rows + r * rowStride + x).loadUnaligned(as: SIMD8<Float>.self)) }
        UnsafeMutableRawPointer(out + x).storeBytes(of: m, as: SIMD8<Float>.self)
        x = width
    }
    while x < width {
        var m = -Float.infinity
        for r in 0..<count where rows[r * rowStride + x] > m { m = rows[r * rowStride + x] }
        out[x] = m
        x += 1
    }
}

/// Average pooling of `planes` planes, Caffe semantics: the divisor counts the
/// window clipped to the padded input (padding counts, beyond it does not).
public func averagePool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    averagePool(g, planes: planes, input: input, inputLayout: g.denseInput, output: output, outputLayout: g.denseOutput)
}

/// Average pooling between planes in any layouts (the output border is written with zeros).
public func averagePool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, inputLayout: PlaneLayout,
                        output: UnsafeMutablePointer<Float>, outputLayout: PlaneLayout) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: g.outputWidth) { scratch in
        let pooled = scratch.baseAddress!
        for p in 0..<planes {
            let src = input + p * inputLayout.planeStride + inputLayout.origin
            writePlane(outputLayout, output: output + p * outputLayout.planeStride, bias: 0, activation: .identity) { oy in
                let (rows, rowCount) = g.window(output: oy, axis: .vertical)
                for ox in 0..<g.outputWidth {
                    let (columns, columnCount) = g.window(output: ox, axis: .horizontal)
                    var sum: Float = 0
                    for y in rows {
                        let line = src + y * inputLayout.rowStride
                        for x in columns { sum += line[x] }
                    }
                    pooled[ox] = sum / Float(rowCount * columnCount)
                }
                return UnsafePointer(pooled)
            }
        }
    }
}

/// Global average pooling: one mean per plane, accumulated in double so large
/// planes do not lose precision.
public func globalAveragePool(planes: Int, planeSize: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    globalAveragePool(planes: planes, input: input, inputLayout: PlaneLayout(height: 1, width: planeSize), output: output)
}

/// The mean of a convolution's grid plane after `+ bias` and the leaky ReLU
/// with `activation`: global average pooling folded into the
/// convolution. Row `y` of the plane is `grid[y * gridWidth ..< y * gridWidth + width]`.
/// A row is summed in float lanes, the rows in double (so large planes do not
/// lose precision); `globalAveragePool` is this with nothing added, so the
/// result equals pooling the stored plane.
public func meanOfGridPlane(_ grid: UnsafePointer<Float>, gridWidth: Int, height: Int, width: Int, bias: Float,
                            activation: Activation) -> Float {
    let b = SIMD8<Float>(repeating: bias)
    var sum: Double = 0
    for y in 0..<height {
        let line = grid + y * gridWidth
        var lanes = SIMD8<Float>()
        var x = 0
        while x + 8 <= width {
            lanes += activation.apply(UnsafeRawPointer(line + x).loadUnaligned(as: SIMD8<Float>.self) + b)
            x += 8
        }
        var row = Double(lanes.sum())
        while x < width {
            row += Double(activation.apply(line[x] + bias))
            x += 1
        }
        sum += row
    }
    return Float(sum / Double(height * width))
}

/// Global average pooling of planes in any layout into one dense value per plane.
public func globalAveragePool(planes: Int, input: UnsafePointer<Float>, inputLayout: PlaneLayout, output: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        // The plane's rows as a grid with nothing added (x + 0 is x).
        output[p] = meanOfGridPlane(input + p * inputLayout.planeStride + inputLayout.origin, gridWidth: inputLayout.rowStride,
                                    height: inputLayout.height, width: inputLayout.width, bias: 0, activation: .identity)
    }
}
