/// The least-squares refit of a layer's shared centroids with the codes fixed:
/// the output is linear in the centroids, so minimising the output error over
/// every channel is a `K x K` system `A a = b`, with `A_kl` the sum of `H`
/// over the pairs of weights coded `k` and `l` and `b_k` the sum of `H w*`
/// over the weights coded `k`. `H` here is the weights' block of the damped
/// Gram matrix with the bias eliminated (its Schur complement), because each
/// bias is refitted afterwards. The system is ill-conditioned (rare codes),
/// so it is solved as `(A + mu I) a = b + mu a0`, pulling toward the current
/// centroids `a0`.
enum CentroidFit {
    static func refit(codebook: [Double], codes: [UInt16], mask: [Bool], targets: [[Double]], hessians: [[Double]],
                      statistics s: LayerStatistics, outputs: Int, regularization: Double) -> [Double] {
        let k = codebook.count, rows = s.rows, size = s.size, perGroup = outputs / s.groups
        var a = [Double](repeating: 0, count: k * k), b = [Double](repeating: 0, count: k)
        var effective = [Double](repeating: 0, count: rows * rows)
        var nonzero: [Int] = []
        nonzero.reserveCapacity(rows)
        for g in 0..<s.groups {
            let h = hessians[g]
            for i in 0..<rows {
                for j in 0..<rows {
                    var v = h[i * size + j]
                    if s.hasBias { v -= h[i * size + rows] * h[rows * size + j] / h[rows * size + rows] }
                    effective[i * rows + j] = v
                }
            }
            var code = [Int](repeating: 0, count: rows)
            effective.withUnsafeBufferPointer { e in
                targets[g].withUnsafeBufferPointer { t in
                    a.withUnsafeMutableBufferPointer { aa in
                        for c in 0..<perGroup {
                            let o = g * perGroup + c
                            nonzero.removeAll(keepingCapacity: true)
                            for i in 0..<rows where !mask[o * rows + i] {
                                nonzero.append(i)
                                code[i] = Int(codes[o * rows + i])
                            }
                            let target = t.baseAddress! + c * size
                            for i in nonzero {
                                let line = e.baseAddress! + i * rows
                                var dot = 0.0
                                for j in 0..<rows { dot += line[j] * target[j] }
                                b[code[i]] += dot
                                let row = aa.baseAddress! + code[i] * k
                                for j in nonzero { row[code[j]] += line[j] }
                            }
                        }
                    }
                }
            }
        }
        var trace = 0.0
        for i in 0..<k { trace += a[i * k + i] }
        let mu = max(regularization * trace / Double(k), 1e-12)
        for i in 0..<k {
            a[i * k + i] += mu
            b[i] += mu * codebook[i]
        }
        guard SymmetricSolver.choleskyLower(&a, n: k) else { return codebook }
        SymmetricSolver.solve(lower: a, n: k, &b, count: 1)
        return b.allSatisfy(\.isFinite) ? b : codebook
    }
}
