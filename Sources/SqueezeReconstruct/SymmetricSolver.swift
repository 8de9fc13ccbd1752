/// Dense symmetric positive-definite algebra in double precision, for the
/// small systems of layer-wise reconstruction (a few hundred rows at most).
/// Matrices are row-major `[Double]` of `n * n`.
enum SymmetricSolver {
    /// The lower Cholesky factor `L` (`A = L L^T`) in place of `a`, or false
    /// when `a` is not positive definite.
    static func choleskyLower(_ a: inout [Double], n: Int) -> Bool {
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= a[j * n + k] * a[j * n + k] }
            guard d > 0, d.isFinite else { return false }
            let root = d.squareRoot()
            a[j * n + j] = root
            for i in (j + 1)..<max(n, j + 1) {
                var s = a[i * n + j]
                for k in 0..<j { s -= a[i * n + k] * a[j * n + k] }
                a[i * n + j] = s / root
            }
            for i in 0..<j { a[i * n + j] = 0 }
        }
        return true
    }

    /// Solves `L L^T x = b` for each row of `b` (`count` right-hand sides of `n`).
    static func solve(lower l: [Double], n: Int, _ b: inout [Double], count: Int) {
        for r in 0..<count {
            let base = r * n
            for i in 0..<n {
                var s = b[base + i]
                for k in 0..<i { s -= l[i * n + k] * b[base + k] }
                b[base + i] = s / l[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {
                var s = b[base + i]
                for k in (i + 1)..<max(n, i + 1) { s -= l[k * n + i] * b[base + k] }
                b[base + i] = s / l[i * n + i]
            }
        }
    }

    /// The inverse of a positive-definite `a`, or nil.
    static func inverse(_ a: [Double], n: Int) -> [Double]? {
        var l = a
        guard choleskyLower(&l, n: n) else { return nil }
        var identity = [Double](repeating: 0, count: n * n)
        for i in 0..<n { identity[i * n + i] = 1 }
        solve(lower: l, n: n, &identity, count: n)
        // Symmetrise what rounding left uneven.
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) {
            let m = (identity[i * n + j] + identity[j * n + i]) / 2
            identity[i * n + j] = m
            identity[j * n + i] = m
        } }
        return identity
    }

    /// `U` upper-triangular with `A^-1 = U^T U`, the factor the sequential
    /// (OBS) updates read: row `i` of `U` spreads column `i`'s error over the
    /// columns after it. Nil when `a` is not positive definite.
    static func inverseUpperFactor(_ a: [Double], n: Int) -> [Double]? {
        guard var l = inverse(a, n: n), choleskyLower(&l, n: n) else { return nil }
        // U = L^T.
        var u = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0...i { u[j * n + i] = l[i * n + j] } }
        return u
    }
}
