/// Where the values of one feature-map plane sit in memory: `height x width`
/// values inside a zero border of `padHeight` rows and `padWidth` columns.
///
/// The compressed executor keeps activations padded for the convolution that
/// reads them, so a shifted input plane is one contiguous run of memory; the
/// dense layout is the special case without a border.
///
/// For kernels wider than one column, a plane can also be kept as shifted
/// copies: copy `k` holds copy 0's values `k` floats further on (each row
/// shifted left by `k`, its last `k` values zero). With rows a multiple of
/// 16 floats apart, a tap that would read copy 0 `k` floats past a 64-byte
/// line reads copy `k` on the line instead: vector loads that do not
/// straddle two cache lines, which AVX-512 loads otherwise always do.
public struct PlaneLayout: Sendable, Hashable {
    /// The plane's size without the border.
    public let height: Int, width: Int
    /// The border on each side.
    public let padHeight: Int, padWidth: Int
    /// Planes start a multiple of this many floats apart (1: packed). With 16,
    /// a 1x1 convolution's input runs all start on a 64-byte line, so its
    /// vector loads never straddle cache lines.
    public let planeAlignment: Int
    /// Rows start a multiple of this many floats apart (1: right after the
    /// border); the columns past the right border are zero.
    public let rowAlignment: Int
    /// Shifted copies of each plane (1: the plane alone).
    public let shiftedCopies: Int
    /// Floats from one row to the next.
    public let rowStride: Int
    /// Floats from one shifted copy of a plane to the next.
    public let copyStride: Int
    // Stored, not computed: plane addresses are taken per plane in the hot
    // loops, and the roundings are integer divisions by run-time values.

    /// A layout with a zero border.
    public init(height: Int, width: Int, padHeight: Int = 0, padWidth: Int = 0, planeAlignment: Int = 1,
                rowAlignment: Int = 1, shiftedCopies: Int = 1) {
        self.height = height
        self.width = width
        self.padHeight = padHeight
        self.padWidth = padWidth
        self.planeAlignment = max(planeAlignment, 1)
        self.rowAlignment = max(rowAlignment, 1)
        self.shiftedCopies = max(shiftedCopies, 1)
        rowStride = (width + 2 * padWidth + self.rowAlignment - 1) / self.rowAlignment * self.rowAlignment
        copyStride = (rowStride * (height + 2 * padHeight) + self.planeAlignment - 1) / self.planeAlignment
            * self.planeAlignment
    }

    /// Rows including the border.
    @inline(__always) public var paddedHeight: Int { height + 2 * padHeight }
    /// Floats from one plane (all its copies) to the next.
    @inline(__always) public var planeStride: Int { shiftedCopies * copyStride }
    /// The offset of value (0, 0) from the start of the plane.
    @inline(__always) public var origin: Int { padHeight * rowStride + padWidth }
    /// Whether a plane's values are one run (no border, no row padding, one
    /// copy), so a plane is a GEMM row with the plane stride as its stride.
    @inline(__always) public var isRowDense: Bool {
        padHeight == 0 && padWidth == 0 && rowStride == width && shiftedCopies == 1
    }
    /// Whether planes are stored packed, without a border.
    @inline(__always) public var isDense: Bool { padHeight == 0 && padWidth == 0 && planeStride == height * width }
}

/// Writes one whole plane (border included) from `height x width` values read
/// with `row(y)` giving the start of source row `y`, each value mapped by
/// `x + bias` and then `activation`.
/// Only `rows` are written (with the top border when they start at row 0 and
/// the bottom border when they reach the last row), so threads can share a plane.
@inline(__always)
func writePlane(_ layout: PlaneLayout, rows: Range<Int>? = nil, output: UnsafeMutablePointer<Float>, bias: Float,
                activation: Activation, row: (Int) -> UnsafePointer<Float>) {
    let stride = layout.rowStride
    let rows = rows ?? 0..<layout.height
    if layout.padHeight > 0 {
        for k in 0..<layout.shiftedCopies {
            let copy = output + k * layout.copyStride
            if rows.lowerBound == 0 { copy.update(repeating: 0, count: layout.padHeight * stride) }
            if rows.upperBound == layout.height {
                (copy + (layout.padHeight + layout.height) * stride).update(repeating: 0, count: layout.padHeight * stride)
            }
        }
    }
    let b = SIMD8<Float>(repeating: bias)
    let right = stride - layout.padWidth - layout.width
    for y in rows {
        let line = output + (layout.padHeight + y) * stride
        defer { if layout.shiftedCopies > 1 { writeShiftedCopies(of: line, layout) } }
        // Borders are a float or two wide: a loop, not two memset calls per row.
        for x in 0..<layout.padWidth { line[x] = 0 }
        for x in 0..<right { line[layout.padWidth + layout.width + x] = 0 }
        let dst = line + layout.padWidth, src = row(y)
        var x = 0
        while x + 8 <= layout.width {
            let v = activation.apply(UnsafeRawPointer(src + x).loadUnaligned(as: SIMD8<Float>.self) + b)
            UnsafeMutableRawPointer(dst + x).storeBytes(of: v, as: SIMD8<Float>.self)
            x += 8
        }
        // The last values as one vector ending at the row's end, rewriting a
        // few already written the same way (a scalar tail was ~40 % of a
        // 13-wide row's work). Not in place: they would go through twice.
        if x < layout.width, layout.width >= 8, UnsafeRawPointer(src) != UnsafeRawPointer(dst) {
            x = layout.width - 8
            let v = activation.apply(UnsafeRawPointer(src + x).loadUnaligned(as: SIMD8<Float>.self) + b)
            UnsafeMutableRawPointer(dst + x).storeBytes(of: v, as: SIMD8<Float>.self)
            x = layout.width
        }
        while x < layout.width {
            dst[x] = activation.apply(src[x] + bias)
            x += 1
        }
    }
}

/// Writes the zeros of a plane's border next to output `rows` (the rows' side
/// columns, and the top or bottom border when the rows reach it), for planes
/// whose values a kernel stores itself. One copy only.
public func clearBorder(of plane: UnsafeMutablePointer<Float>, _ layout: PlaneLayout, rows: Range<Int>) {
    precondition(layout.shiftedCopies == 1)
    let stride = layout.rowStride, right = stride - layout.padWidth - layout.width
    if rows.lowerBound == 0 { plane.update(repeating: 0, count: layout.padHeight * stride) }
    if rows.upperBound == layout.height {
        (plane + (layout.padHeight + layout.height) * stride).update(repeating: 0, count: layout.padHeight * stride)
    }
    guard layout.padWidth > 0 || right > 0 else { return }
    for y in rows {
        let line = plane + (layout.padHeight + y) * stride
        for x in 0..<layout.padWidth { line[x] = 0 }
        for x in 0..<right { line[layout.padWidth + layout.width + x] = 0 }
    }
}

/// Row `line` of copy 0 into the plane's other copies: copy `k` gets it shifted
/// left by `k`, its last `k` values zero (never the next row's first, so
/// threads writing different rows never need each other's).
@inline(__always)
private func writeShiftedCopies(of line: UnsafeMutablePointer<Float>, _ layout: PlaneLayout) {
    let stride = layout.rowStride
    for k in 1..<layout.shiftedCopies {
        let copy = line + k * layout.copyStride
        // Vectors, not a memmove call per row: rows are a few dozen floats.
        var x = 0
        while x + 8 <= stride - k {
            UnsafeMutableRawPointer(copy + x).storeBytes(of: UnsafeRawPointer(line + k + x).loadUnaligned(as: SIMD8<Float>.self),
                                                         as: SIMD8<Float>.self)
            x += 8
        }
        while x < stride - k {
            copy[x] = line[k + x]
            x += 1
        }
        while x < stride {
            copy[x] = 0
            x += 1
        }
    }
}

/// Copies `planes` planes between layouts of the same size, optionally through
/// an activation; the destination's border is written with zeros.
public func copyPlanes(_ planes: Int, input: UnsafePointer<Float>, inputLayout: PlaneLayout,
                       output: UnsafeMutablePointer<Float>, outputLayout: PlaneLayout, activation: Activation = .identity) {
    precondition(inputLayout.height == outputLayout.height && inputLayout.width == outputLayout.width)
    for p in 0..<planes {
        let src = input + p * inputLayout.planeStride + inputLayout.origin
        writePlane(outputLayout, output: output + p * outputLayout.planeStride, bias: 0,
                   activation: activation) { src + $0 * inputLayout.rowStride }
    }
}

/// Writes a convolution's output plane from the grid it was accumulated on:
/// row `y` of the result starts at `grid + y * gridWidth` (columns past the
/// output width are the grid's slack and are dropped), plus `bias`, through
/// `activation`.
/// With `rows`, only those output rows (and the borders next to them) are written.
public func storeGridPlane(_ grid: UnsafePointer<Float>, gridWidth: Int, rows: Range<Int>? = nil, bias: Float,
                           activation: Activation, output: UnsafeMutablePointer<Float>, layout: PlaneLayout) {
    writePlane(layout, rows: rows, output: output, bias: bias, activation: activation) {
        grid + $0 * gridWidth
    }
}

/// Splits padded planes into `stride x stride` phase planes, so that a strided
/// convolution reads each kernel tap as one contiguous run: phase `(a, b)` holds
/// padded-input values at rows `a, a + s, ...` and columns `b, b + s, ...`, each
/// phase `phaseHeight x phaseWidth` (values outside the input are zero).
///
/// - Parameters:
///   - pad: the convolution's padding (top/left); the source's own border is ignored.
///   - phases: which phases to write (`a * strideWidth + b`), all when nil.
public func splitPhases(_ planes: Int, input: UnsafePointer<Float>, inputLayout: PlaneLayout,
                        strideHeight: Int, strideWidth: Int, padHeight: Int, padWidth: Int,
                        phaseHeight: Int, phaseWidth: Int, phases: Range<Int>? = nil,
                        output: UnsafeMutablePointer<Float>) {
    let phaseSize = phaseHeight * phaseWidth
    for p in 0..<planes {
        let src = input + p * inputLayout.planeStride + inputLayout.origin
        let planeOut = output + p * strideHeight * strideWidth * phaseSize
        for index in phases ?? 0..<(strideHeight * strideWidth) {
            let a = index / strideWidth, b = index % strideWidth
            let phase = planeOut + index * phaseSize
            for u in 0..<phaseHeight {
                let y = u * strideHeight + a - padHeight
                let line = phase + u * phaseWidth
                guard y >= 0, y < inputLayout.height else {
                    line.update(repeating: 0, count: phaseWidth)
                    continue
                }
                let row = src + y * inputLayout.rowStride
                var v = 0
                if strideWidth == 2 {
                    // Eight columns at a time where sixteen whole input columns
                    // lie inside the row (a scalar loop was most of the step).
                    while v < phaseWidth, 2 * v + b - padWidth < 0 {
                        line[v] = 0
                        v += 1
                    }
                    while v + 8 <= phaseWidth, 2 * v + b - padWidth + 16 <= inputLayout.width {
                        let pair = UnsafeRawPointer(row + 2 * v + b - padWidth).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(line + v).storeBytes(of: pair.evenHalf, as: SIMD8<Float>.self)
                        v += 8
                    }
                }
                while v < phaseWidth {
                    let x = v * strideWidth + b - padWidth
                    line[v] = x >= 0 && x < inputLayout.width ? row[x] : 0
                    v += 1
                }
            }
        }
    }
}
