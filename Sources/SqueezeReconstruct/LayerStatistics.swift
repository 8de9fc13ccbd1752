import SqueezeKernels

/// What layer-wise reconstruction knows of one layer's input: per group, the
/// Gram matrix `G = sum x x^T` of the columns the compressed network feeds it
/// and the cross term `K = sum x t^T` with the columns the uncompressed
/// network feeds it at the same positions (images, output positions).
///
/// A column is the layer's receptive field (a convolution's im2col column, a
/// fully connected layer's input), with a constant 1 appended when the layer
/// has a bias, so the bias is fitted with the weights.
public struct LayerStatistics: Sendable {
    /// Groups of the layer (1 unless grouped convolution).
    public let groups: Int
    /// Weights per output channel (one group's receptive field).
    public let rows: Int
    /// Whether a bias row is appended.
    public let hasBias: Bool
    /// Per group, `G` (`size x size`, row-major).
    public internal(set) var gram: [[Double]]
    /// Per group, `K` (`size x size`), student columns by teacher columns.
    public internal(set) var cross: [[Double]]
    /// Columns accumulated per group.
    public internal(set) var samples: Int = 0

    /// The side of each matrix: the rows plus the bias row.
    public var size: Int { rows + (hasBias ? 1 : 0) }

    /// Empty statistics.
    public init(groups: Int, rows: Int, hasBias: Bool) {
        self.groups = groups
        self.rows = rows
        self.hasBias = hasBias
        let n = rows + (hasBias ? 1 : 0)
        gram = Array(repeating: [Double](repeating: 0, count: n * n), count: groups)
        cross = gram
    }

    /// Adds `count` columns of group `group`: `student` and `teacher` are
    /// `rows x count` matrices (row-major, leading dimension `count`); nil
    /// `teacher` means the same columns (nothing before the layer changed).
    /// `scratch` holds at least `rows * rows` floats.
    public mutating func accumulate(group: Int, student: UnsafePointer<Float>, teacher: UnsafePointer<Float>?,
                                    count: Int, scratch: UnsafeMutablePointer<Float>) {
        guard count > 0, rows > 0 else { return }
        let n = size
        let other = teacher ?? student
        BLAS.gemm(transposeB: true, m: rows, n: rows, k: count, a: student, lda: count, b: student, ldb: count,
                  beta: 0, c: scratch, ldc: rows)
        Self.add(scratch, rows: rows, into: &gram[group], size: n)
        if teacher != nil {
            BLAS.gemm(transposeB: true, m: rows, n: rows, k: count, a: student, lda: count, b: other, ldb: count,
                      beta: 0, c: scratch, ldc: rows)
        }
        Self.add(scratch, rows: rows, into: &cross[group], size: n)
        if hasBias {
            for r in 0..<rows {
                var s = 0.0, t = 0.0
                let sr = student + r * count, tr = other + r * count
                for p in 0..<count { s += Double(sr[p]); t += Double(tr[p]) }
                gram[group][r * n + rows] += s
                gram[group][rows * n + r] += s
                cross[group][r * n + rows] += s
                cross[group][rows * n + r] += t
            }
            gram[group][rows * n + rows] += Double(count)
            cross[group][rows * n + rows] += Double(count)
        }
        if group == 0 { samples += count }
    }

    private static func add(_ m: UnsafePointer<Float>, rows: Int, into target: inout [Double], size: Int) {
        for i in 0..<rows { for j in 0..<rows { target[i * size + j] += Double(m[i * rows + j]) } }
    }
}
