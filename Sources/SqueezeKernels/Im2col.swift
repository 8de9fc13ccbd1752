/// The geometry of one convolution over one image plane stack.
public struct ConvolutionGeometry: Sendable, Hashable {
    /// Input channels (of one group).
    public var channels: Int
    /// Input height and width.
    public var height: Int, width: Int
    /// Kernel height and width.
    public var kernelHeight: Int, kernelWidth: Int
    /// Stride.
    public var strideHeight: Int, strideWidth: Int
    /// Zero padding before the first row and column.
    public var padHeight: Int, padWidth: Int
    /// Zero padding after the last row and column (ONNX allows it to differ).
    public var padBottom: Int, padRight: Int
    /// Dilation.
    public var dilationHeight: Int, dilationWidth: Int

    /// A geometry; stride and dilation default to 1 and padding to 0; the
    /// padding after defaults to the padding before.
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1, padHeight: Int = 0, padWidth: Int = 0,
                padBottom: Int? = nil, padRight: Int? = nil,
                dilationHeight: Int = 1, dilationWidth: Int = 1) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padHeight = padHeight
        self.padWidth = padWidth
        self.padBottom = padBottom ?? padHeight
        self.padRight = padRight ?? padWidth
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
    }

    /// Output height.
    public var outputHeight: Int {
        (height + padHeight + padBottom - (dilationHeight * (kernelHeight - 1) + 1)) / strideHeight + 1
    }

    /// Output width.
    public var outputWidth: Int {
        (width + padWidth + padRight - (dilationWidth * (kernelWidth - 1) + 1)) / strideWidth + 1
    }

    /// Rows of the column matrix: `channels * kernelHeight * kernelWidth`.
    public var columnRows: Int { channels * kernelHeight * kernelWidth }

    /// Columns of the column matrix: output positions.
    public var columnCount: Int { outputHeight * outputWidth }

    /// The output columns `firstX..<lastX` whose input column, `x * stride + offset`,
    /// falls inside the image (the others read padding).
    @inline(__always)
    public func columnsInside(offset: Int) -> (first: Int, last: Int) {
        let ow = outputWidth
        let first = offset >= 0 ? 0 : min(ow, (-offset + strideWidth - 1) / strideWidth)
        return (first, max(first, min(ow, (width - offset + strideWidth - 1) / strideWidth)))
    }

    /// Whether the input already is the column matrix (1x1, stride 1, no padding).
    public var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
            && padHeight == 0 && padWidth == 0 && padBottom == 0 && padRight == 0
    }
}

/// Lays out the receptive fields of `input` (channels x height x width) as the
/// columns of a `columnRows x columnCount` matrix so a convolution becomes one GEMM.
/// Positions in the padding read as zero. With `outputRows`, only the
/// columns of those output rows are written (threads can share the matrix).
public func im2col(_ g: ConvolutionGeometry, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>,
                   outputRows: Range<Int>? = nil) {
    let oh = g.outputHeight, ow = g.outputWidth
    let plane = g.height * g.width
    var row = columns
    for c in 0..<g.channels {
        let source = input + c * plane
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let xOffset = kx * g.dilationWidth - g.padWidth
                let (firstX, lastX) = g.columnsInside(offset: xOffset)
                for y in outputRows ?? 0..<oh {
                    let out = row + y * ow
                    let iy = y * g.strideHeight - g.padHeight + ky * g.dilationHeight
                    guard iy >= 0, iy < g.height else {
                        out.update(repeating: 0, count: ow)
                        continue
                    }
                    let line = source + iy * g.width
                    if firstX > 0 { out.update(repeating: 0, count: firstX) }
                    if g.strideWidth == 1 {
                        (out + firstX).update(from: line + firstX + xOffset, count: lastX - firstX)
                    } else {
                        for x in firstX..<lastX { out[x] = line[x * g.strideWidth + xOffset] }
                    }
                    if lastX < ow { (out + lastX).update(repeating: 0, count: ow - lastX) }
                }
                row += oh * ow
            }
        }
    }
}
