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
    /// Padding.
    public var padHeight: Int, padWidth: Int

    /// A pooling geometry.
    public init(height: Int, width: Int, outputHeight: Int, outputWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                padHeight: Int, padWidth: Int) {
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
    }
}

extension PoolingGeometry {
    /// An axis of the pooled plane.
    public enum Axis: Sendable { case vertical, horizontal }

    /// The input positions the window at `output` reads along `axis`, clipped to
    /// the input (max and average pooling alike), and average pooling's divisor
    /// factor for that axis: the window clipped to the padded input (Caffe counts
    /// padding, not beyond it).
    @inline(__always)
    public func window(output o: Int, axis: Axis) -> (positions: Range<Int>, divisor: Int) {
        let (stride, pad, kernel, size) = axis == .vertical
            ? (strideHeight, padHeight, kernelHeight, height) : (strideWidth, padWidth, kernelWidth, width)
        let start = o * stride - pad
        let end = min(start + kernel, size + pad)
        return (max(start, 0)..<max(min(end, size), max(start, 0)), end - start)
    }
}

/// Max pooling of `planes` planes, Caffe semantics: windows are clipped to the
/// input, so padding never wins.
public func maxPool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let src = input + p * inPlane, dst = output + p * outPlane
        for oy in 0..<g.outputHeight {
            let rows = g.window(output: oy, axis: .vertical).positions
            for ox in 0..<g.outputWidth {
                let columns = g.window(output: ox, axis: .horizontal).positions
                var best = -Float.infinity
                for y in rows {
                    let line = src + y * g.width
                    for x in columns where line[x] > best { best = line[x] }
                }
                dst[oy * g.outputWidth + ox] = best
            }
        }
    }
}

/// Average pooling of `planes` planes, Caffe semantics: the divisor counts the
/// window clipped to the padded input (padding counts, beyond it does not).
public func averagePool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let src = input + p * inPlane, dst = output + p * outPlane
        for oy in 0..<g.outputHeight {
            let (rows, rowCount) = g.window(output: oy, axis: .vertical)
            for ox in 0..<g.outputWidth {
                let (columns, columnCount) = g.window(output: ox, axis: .horizontal)
                let count = rowCount * columnCount
                var sum: Float = 0
                for y in rows {
                    let line = src + y * g.width
                    for x in columns { sum += line[x] }
                }
                dst[oy * g.outputWidth + ox] = sum / Float(count)
            }
        }
    }
}

/// Global average pooling: one mean per plane, accumulated in double so large
/// planes do not lose precision.
public func globalAveragePool(planes: Int, planeSize: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    for p in 0..<planes {
        let src = input + p * planeSize
        var sum: Double = 0
        for i in 0..<planeSize { sum += Double(src[i]) }
        output[p] = Float(sum / Double(planeSize))
    }
}
