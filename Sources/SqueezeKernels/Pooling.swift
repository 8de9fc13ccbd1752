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

/// Max pooling of `planes` planes, Caffe semantics: windows are clipped to the
/// input, so padding never wins.
public func maxPool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let src = input + p * inPlane, dst = output + p * outPlane
        for oy in 0..<g.outputHeight {
            let y0 = max(oy * g.strideHeight - g.padHeight, 0)
            let y1 = min(oy * g.strideHeight - g.padHeight + g.kernelHeight, g.height)
            for ox in 0..<g.outputWidth {
                let x0 = max(ox * g.strideWidth - g.padWidth, 0)
                let x1 = min(ox * g.strideWidth - g.padWidth + g.kernelWidth, g.width)
                var best = -Float.infinity
                for y in y0..<y1 {
                    let line = src + y * g.width
                    for x in x0..<x1 where line[x] > best { best = line[x] }
                }
                dst[oy * g.outputWidth + ox] = best
            }
        }
    }
}

extension PoolingGeometry {
    /// An axis of the pooled plane.
    public enum Axis: Sendable { case vertical, horizontal }

    /// The input positions an average-pooling window at `output` reads along
    /// `axis`, clipped to the input, and the divisor's factor for that axis: the
    /// window clipped to the padded input (Caffe counts padding, not beyond it).
    @inline(__always)
    public func averageWindow(output o: Int, axis: Axis) -> (positions: Range<Int>, divisor: Int) {
        let (stride, pad, kernel, size) = axis == .vertical
            ? (strideHeight, padHeight, kernelHeight, height) : (strideWidth, padWidth, kernelWidth, width)
        let start = o * stride - pad
        let end = min(start + kernel, size + pad)
        return (max(start, 0)..<max(min(end, size), max(start, 0)), end - start)
    }
}

/// Average pooling of `planes` planes, Caffe semantics: the divisor counts the
/// window clipped to the padded input (padding counts, beyond it does not).
public func averagePool(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
    for p in 0..<planes {
        let src = input + p * inPlane, dst = output + p * outPlane
        for oy in 0..<g.outputHeight {
            let (rows, rowCount) = g.averageWindow(output: oy, axis: .vertical)
            for ox in 0..<g.outputWidth {
                let (columns, columnCount) = g.averageWindow(output: ox, axis: .horizontal)
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
