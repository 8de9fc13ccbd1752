import Foundation
import SqueezeModel
import SqueezeQuantize

/// Output-aware compression of one layer from its `LayerStatistics`: the
/// weights are chosen to keep the layer's output close to the uncompressed
/// network's, not to keep each weight close to its old value.
///
/// With `H = G + lambda I` (the input Gram matrix, damped) the output error of
/// weights `w'` for one output channel is `(w' - w*) H (w' - w*)^T` plus a
/// constant, where `w* = H^-1 (K w + lambda w)` is the least-squares fit to the
/// teacher's output (or `w` itself when the inputs are the teacher's).
/// Columns are then fixed one at a time, front to back, each error spread
/// over the columns not yet fixed through the Cholesky factor of `H^-1`
/// (Optimal Brain Surgeon as SparseGPT and GPTQ apply it): pruning picks, per
/// block of 128 columns, the weights of least saliency `w^2 / [U]_ii^2`;
/// weight sharing rounds each weight to the nearest centroid; the centroids
/// are then refitted by least squares (a `K x K` system, regularised toward
/// the k-means centroids) and the bias, fixed last, absorbs what is left.
public enum LayerCompressor {
    /// How weights are chosen.
    public enum Method: String, Hashable, Sendable, CaseIterable, Codable {
        /// From the layer's output (the statistics): OBS-compensated pruning
        /// and sharing, least-squares centroids, fitted bias.
        case outputAware = "output-aware"
        /// From the weights alone: the largest magnitudes survive, k-means
        /// centroids, the bias untouched (the paper's stages without retraining).
        case magnitude
    }

    /// What to do to the layer.
    public struct Options: Hashable, Sendable {
        /// How weights are chosen.
        public var method: Method = .outputAware
        /// The fraction of weights to keep (1: no pruning).
        public var density: Double
        /// Bits per codebook index (nil: no weight sharing).
        public var bits: Int?
        /// Codebook entries, when not `2^bits` (at most that): Huffman coding
        /// makes sizes between powers of two worth having.
        public var centroids: Int?
        /// Fit to the teacher's output through the cross term (false: to `w`).
        public var matchTeacher: Bool
        /// Damping added to `G`'s diagonal, as a fraction of its mean.
        public var damping: Double
        /// Regularisation of the centroid fit toward the k-means centroids,
        /// as a fraction of the system's mean diagonal.
        public var centroidRegularization: Double
        /// Rounds of assigning weights to centroids and refitting the centroids.
        public var refits: Int
        /// Fix columns in descending order of input energy (else stored order).
        public var activationOrder = true
        /// Entropy-constrained assignment (0: nearest centroid): a weight takes
        /// the centroid of least output error plus this many times the mean
        /// error per weight for every bit its code costs (`-log2` of the code's
        /// frequency in the previous round), so the codes Huffman-code shorter.
        public var rateWeight = 0.0

        /// Options; by default prune nothing, share nothing, fit the teacher.
        public init(density: Double = 1, bits: Int? = nil, matchTeacher: Bool = true, damping: Double = 0.01,
                    centroidRegularization: Double = 0.01, refits: Int = 5, method: Method = .outputAware) {
            self.method = method
            self.density = density
            self.bits = bits
            self.matchTeacher = matchTeacher
            self.damping = damping
            self.centroidRegularization = centroidRegularization
            self.refits = refits
        }
    }

    /// The compressed layer.
    public struct Result: Sendable {
        /// The new weights (sparse when pruned, shared when quantized).
        public var weights: WeightTensor
        /// The new bias (empty when the layer has none).
        public var bias: [Float]
        /// The output error left, relative to the output's energy, on the
        /// columns the statistics came from.
        public var relativeError: Double
        /// Weights kept.
        public var kept: Int
    }

    /// Compresses `weights` (`[out, rows]` dense values) and `bias` by `options`.
    /// Zeros of `weights` stay zero when `keepPruned` (a pruned layer stays pruned).
    public static func compress(weights: WeightTensor, bias: [Float], statistics s: LayerStatistics,
                                options: Options, keepPruned: Bool = true) throws(ReconstructError) -> Result {
        let values = weights.denseValues()
        let rows = s.rows, size = s.size
        guard rows > 0, values.count % rows == 0, s.hasBias == !bias.isEmpty else {
            throw .shapeMismatch(weights: values.count, rows: rows)
        }
        let outputs = values.count / rows
        guard outputs % s.groups == 0, bias.isEmpty || bias.count == outputs else {
            throw .shapeMismatch(weights: values.count, rows: rows)
        }
        guard options.density.isFinite, (0...1).contains(options.density) else { throw .invalidOption("density \(options.density)") }
        if let b = options.bits, !(1...16).contains(b) { throw .invalidOption("bits \(b)") }
        if let k = options.centroids, !(1...(1 << (options.bits ?? 16))).contains(k) { throw .invalidOption("\(k) centroids") }
        guard options.rateWeight.isFinite, options.rateWeight >= 0 else { throw .invalidOption("rate weight \(options.rateWeight)") }
        let perGroup = outputs / s.groups
        let forced: [Bool] = keepPruned && weights.isPruned ? values.map { $0 == 0 } : []
        if options.method == .magnitude {
            return magnitude(values, bias: bias, shape: weights.shape, options: options, forced: forced)
        }
        guard options.activationOrder, rows > 1 else {
            return try ordered(values, bias: bias, shape: weights.shape, statistics: s, options: options, forced: forced)
        }
        // Fix the columns with the most input energy first (GPTQ's act-order):
        // their errors then spread over more columns still free.
        var permuted = s
        var orders: [[Int]] = []
        for g in 0..<s.groups {
            let gram = s.gram[g]
            let order = (0..<rows).sorted { gram[$0 * size + $0] > gram[$1 * size + $1] }
            let full = order + (s.hasBias ? [rows] : [])
            permuted.gram[g] = permute(gram, full, size: size)
            permuted.cross[g] = permute(s.cross[g], full, size: size)
            orders.append(order)
        }
        var newValues = values, newForced = forced
        for o in 0..<outputs {
            let order = orders[o / perGroup]
            for i in 0..<rows {
                newValues[o * rows + i] = values[o * rows + order[i]]
                if !forced.isEmpty { newForced[o * rows + i] = forced[o * rows + order[i]] }
            }
        }
        var result = try ordered(newValues, bias: bias, shape: weights.shape, statistics: permuted, options: options,
                                 forced: newForced)
        result.weights = unpermute(result.weights, orders: orders, rows: rows, perGroup: perGroup)
        return result
    }

    /// `m` (`size x size`) with rows and columns in `order`.
    static func permute(_ m: [Double], _ order: [Int], size: Int) -> [Double] {
        var out = m
        for i in 0..<size { for j in 0..<size { out[i * size + j] = m[order[i] * size + order[j]] } }
        return out
    }

    /// Puts each channel's weights back from the order of its group.
    static func unpermute(_ tensor: WeightTensor, orders: [[Int]], rows: Int, perGroup: Int) -> WeightTensor {
        func place(_ index: Int) -> Int {
            let o = index / rows, i = index % rows
            return o * rows + orders[o / perGroup][i]
        }
        switch tensor.storage {
        case .dense(let v):
            var out = v
            for k in v.indices { out[place(k)] = v[k] }
            return WeightTensor(shape: tensor.shape, storage: .dense(out))
        case .sparse(let positions, let values):
            let moved = zip(positions, values).map { (UInt32(place(Int($0.0))), $0.1) }.sorted { $0.0 < $1.0 }
            return WeightTensor(shape: tensor.shape, storage: .sparse(positions: moved.map(\.0), values: moved.map(\.1)))
        case .shared(let codebook, let codes, let positions?):
            let moved = zip(positions, codes).map { (UInt32(place(Int($0.0))), $0.1) }.sorted { $0.0 < $1.0 }
            return WeightTensor(shape: tensor.shape, storage: .shared(codebook: codebook, codes: moved.map(\.1), positions: moved.map(\.0)))
        case .shared(let codebook, let codes, nil):
            var out = codes
            for k in codes.indices { out[place(k)] = codes[k] }
            return WeightTensor(shape: tensor.shape, storage: .shared(codebook: codebook, codes: out, positions: nil))
        }
    }

    /// The compression itself, columns fixed in their stored order.
    static func ordered(_ values: [Float], bias: [Float], shape: TensorShape, statistics s: LayerStatistics, options: Options,
                        forced: [Bool]) throws(ReconstructError) -> Result {
        let rows = s.rows, size = s.size
        let outputs = values.count / rows, perGroup = outputs / s.groups

        // Per group: damped H, its inverse factor, the targets w*.
        var hessians: [[Double]] = [], factors: [[Double]] = [], targets: [[Double]] = []
        for g in 0..<s.groups {
            var h = s.gram[g]
            var diagonal = 0.0
            for i in 0..<rows { diagonal += h[i * size + i] }
            let lambda = max(options.damping * diagonal / Double(rows), 1e-8)
            for i in 0..<size { h[i * size + i] += lambda }
            guard let u = SymmetricSolver.inverseUpperFactor(h, n: size) else { throw .notPositiveDefinite }
            var w = [Double](repeating: 0, count: perGroup * size)
            for c in 0..<perGroup {
                let o = g * perGroup + c
                for i in 0..<rows { w[c * size + i] = Double(values[o * rows + i]) }
                if s.hasBias { w[c * size + rows] = Double(bias[o]) }
            }
            // A fit to the teacher needs more columns than unknowns (a fully connected
            // layer sees one column per image): with fewer it would fit those images.
            if options.matchTeacher, s.samples >= 4 * size {
                var l = h
                guard SymmetricSolver.choleskyLower(&l, n: size) else { throw .notPositiveDefinite }
                let k = s.cross[g]
                var rhs = [Double](repeating: 0, count: perGroup * size)
                for c in 0..<perGroup {
                    for i in 0..<size {
                        var t = lambda * w[c * size + i]
                        for j in 0..<size { t += k[i * size + j] * w[c * size + j] }
                        rhs[c * size + i] = t
                    }
                }
                SymmetricSolver.solve(lower: l, n: size, &rhs, count: perGroup)
                w = rhs
            }
            if !forced.isEmpty {
                for c in 0..<perGroup { for i in 0..<rows where forced[(g * perGroup + c) * rows + i] { w[c * size + i] = 0 } }
            }
            hessians.append(h)
            factors.append(u)
            targets.append(w)
        }

        // Pruning pass: choose the mask, compensate the survivors.
        var mask = [Bool](repeating: false, count: outputs * rows)
        var current = targets
        for g in 0..<s.groups {
            let forcedGroup = forced.isEmpty ? nil : Array(forced[(g * perGroup * rows)..<((g + 1) * perGroup * rows)])
            var groupMask = [Bool](repeating: false, count: perGroup * rows)
            var codes: [UInt16] = []
            sequentialPass(&current[g], u: factors[g], outputs: perGroup, rows: rows, size: size,
                           prune: 1 - options.density, forced: forcedGroup, mask: &groupMask, codebook: nil, codes: &codes)
            mask.replaceSubrange((g * perGroup * rows)..<((g + 1) * perGroup * rows), with: groupMask)
        }

        guard let bits = options.bits else {
            return finish(current: current, targets: targets, hessians: hessians, statistics: s, mask: mask,
                          outputs: outputs, shape: shape, codebook: nil, codes: [])
        }
        // Weight sharing: k-means on the compensated survivors, then assign and refit.
        var survivors: [Float] = []
        for g in 0..<s.groups { for c in 0..<perGroup { for i in 0..<rows where !mask[(g * perGroup + c) * rows + i] {
            survivors.append(Float(current[g][c * size + i]))
        } } }
        guard !survivors.isEmpty else {
            return finish(current: current, targets: targets, hessians: hessians, statistics: s, mask: mask,
                          outputs: outputs, shape: shape, codebook: [0], codes: [])
        }
        let clustering = KMeans.cluster(survivors, k: options.centroids ?? 1 << bits, initialization: .linear)
        var codebook = clustering.centroids.map(Double.init)
        var codes = [UInt16](repeating: 0, count: outputs * rows)
        var rate: [Double]?
        for round in 0...max(options.refits, 0) {
            current = targets
            var error = 0.0
            for g in 0..<s.groups {
                var groupMask = Array(mask[(g * perGroup * rows)..<((g + 1) * perGroup * rows)])
                var groupCodes = [UInt16](repeating: 0, count: perGroup * rows)
                error += sequentialPass(&current[g], u: factors[g], outputs: perGroup, rows: rows, size: size, prune: 0,
                                        forced: nil, mask: &groupMask, codebook: codebook, codes: &groupCodes, rate: rate)
                codes.replaceSubrange((g * perGroup * rows)..<((g + 1) * perGroup * rows), with: groupCodes)
            }
            guard round < options.refits else { break }
            codebook = CentroidFit.refit(codebook: codebook, codes: codes, mask: mask, targets: targets, hessians: hessians,
                                         statistics: s, outputs: outputs, regularization: options.centroidRegularization)
            // Keep the codebook ascending for the nearest-centroid search.
            let order = codebook.indices.sorted { codebook[$0] < codebook[$1] }
            var rank = [UInt16](repeating: 0, count: order.count)
            for (r, k) in order.enumerated() { rank[k] = UInt16(r) }
            codebook = order.map { codebook[$0] }
            codes = codes.map { rank[Int($0)] }
            if options.rateWeight > 0 {
                rate = codeCosts(codes: codes, mask: mask, centroids: codebook.count,
                                 perBit: options.rateWeight * error / Double(max(survivors.count, 1)))
            }
        }
        return finish(current: current, targets: targets, hessians: hessians, statistics: s, mask: mask,
                      outputs: outputs, shape: shape, codebook: codebook, codes: codes)
    }

    /// Per centroid, what its code costs in output error: `perBit` times its
    /// length in bits as the codes' frequencies give it.
    static func codeCosts(codes: [UInt16], mask: [Bool], centroids: Int, perBit: Double) -> [Double] {
        var counts = [Double](repeating: 0, count: centroids)
        for (i, c) in codes.enumerated() where !mask[i] { counts[Int(c)] += 1 }
        let total = counts.reduce(0, +)
        // An unused centroid costs as much as one used half a time.
        return counts.map { perBit * -log2(max($0, 0.5) / max(total, 1)) }
    }

    /// Fixes the columns of one group front to back (the bias column, last,
    /// is never fixed: it takes the compensation). With `prune > 0` each
    /// block's mask is chosen first; masked weights become zero; with a
    /// codebook the others become their nearest centroid (codes written), or
    /// with `rate` the centroid of least output error plus its code's cost.
    /// Returns the output error the quantization added (sum of `(v - q)^2 / d^2`).
    @discardableResult
    static func sequentialPass(_ w: inout [Double], u: [Double], outputs n: Int, rows: Int, size: Int, prune: Double,
                               forced: [Bool]?, mask: inout [Bool], codebook: [Double]?, codes: inout [UInt16],
                               rate: [Double]? = nil) -> Double {
        var added = 0.0
        let block = 128
        for b0 in stride(from: 0, to: rows, by: block) {
            let b1 = min(rows, b0 + block)
            if prune > 0 || forced != nil {
                var candidates: [(Double, Int)] = []
                var already = 0
                for c in 0..<n {
                    for i in b0..<b1 {
                        if forced?[c * rows + i] == true {
                            mask[c * rows + i] = true
                            already += 1
                        } else {
                            let d = u[i * size + i], v = w[c * size + i]
                            candidates.append((v * v / (d * d), c * rows + i))
                        }
                    }
                }
                let target = Int((prune * Double(n * (b1 - b0))).rounded())
                let more = min(max(target - already, 0), candidates.count)
                if more > 0 {
                    candidates.sort { $0.0 < $1.0 }
                    for k in 0..<more { mask[candidates[k].1] = true }
                }
            }
            for i in b0..<b1 {
                let d = u[i * size + i]
                for c in 0..<n {
                    let v = w[c * size + i]
                    var q = v
                    if mask[c * rows + i] {
                        q = 0
                    } else if let codebook {
                        let k = rate.map { cheapest(codebook, v, scale: 1 / (d * d), costs: $0) } ?? nearest(codebook, v)
                        codes[c * rows + i] = UInt16(k)
                        q = codebook[k]
                        added += (v - q) * (v - q) / (d * d)
                    }
                    guard q != v else { continue }
                    w[c * size + i] = q
                    spread((v - q) / d, from: i, channel: c, size: size, u: u, into: &w)
                }
            }
        }
        return added
    }

    /// The centroid of least `scale * (v - c_k)^2 + costs[k]`.
    static func cheapest(_ codebook: [Double], _ v: Double, scale: Double, costs: [Double]) -> Int {
        var best = 0, bestCost = Double.infinity
        for k in codebook.indices {
            let e = v - codebook[k]
            let cost = scale * e * e + costs[k]
            if cost < bestCost { (best, bestCost) = (k, cost) }
        }
        return best
    }

    /// The weight-only baseline: keep the largest magnitudes, k-means the survivors.
    static func magnitude(_ values: [Float], bias: [Float], shape: TensorShape, options: Options, forced: [Bool]) -> Result {
        let keep = Int((options.density * Double(values.count)).rounded())
        let order = values.indices.filter { forced.isEmpty || !forced[$0] }.sorted { abs(values[$0]) > abs(values[$1]) }
        var kept = Array(order.prefix(keep)).sorted()
        let pruned = kept.count < values.count
        if kept.isEmpty { kept = [] }
        let survivors = kept.map { values[$0] }
        let storage: WeightTensor.Storage
        if let bits = options.bits {
            let clustering = survivors.isEmpty ? nil : KMeans.cluster(survivors, k: options.centroids ?? 1 << bits, initialization: .linear)
            storage = .shared(codebook: clustering?.centroids ?? [0], codes: clustering?.assignments ?? [],
                              positions: pruned ? kept.map { UInt32($0) } : nil)
        } else if pruned {
            storage = .sparse(positions: kept.map { UInt32($0) }, values: survivors)
        } else {
            storage = .dense(values)
        }
        return Result(weights: WeightTensor(shape: shape, storage: storage), bias: bias, relativeError: .nan, kept: kept.count)
    }

    /// Column `i`'s error `err` spread over the columns after it in channel
    /// `c`'s row of `w`, through row `i` of `u` (the OBS update).
    @inline(__always)
    static func spread(_ err: Double, from i: Int, channel c: Int, size: Int, u: [Double], into w: inout [Double]) {
        u.withUnsafeBufferPointer { uu in
            w.withUnsafeMutableBufferPointer { ww in
                let target = ww.baseAddress! + c * size, source = uu.baseAddress! + i * size
                for j in (i + 1)..<size { target[j] -= err * source[j] }
            }
        }
    }

    /// `sum_ij a_i m_ij b_j` for a `size x size` matrix `m` and vectors at `a`, `b`.
    static func quadratic(_ m: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, size: Int) -> Double {
        var total = 0.0
        for i in 0..<size {
            var t = 0.0
            let row = m + i * size
            for j in 0..<size { t += row[j] * b[j] }
            total += a[i] * t
        }
        return total
    }

    /// The index of the centroid nearest `v` in an ascending codebook.
    static func nearest(_ codebook: [Double], _ v: Double) -> Int {
        var lo = 0, hi = codebook.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if v > (codebook[mid] + codebook[mid + 1]) / 2 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Builds the result: weights from the last pass (or the codebook), each
    /// bias the best for its channel's fixed weights.
    static func finish(current: [[Double]], targets: [[Double]], hessians: [[Double]], statistics s: LayerStatistics,
                       mask: [Bool], outputs: Int, shape: TensorShape, codebook: [Double]?, codes: [UInt16]) -> Result {
        let rows = s.rows, size = s.size, perGroup = outputs / s.groups
        var dense = [Float](repeating: 0, count: outputs * rows)
        var bias = [Float](repeating: 0, count: s.hasBias ? outputs : 0)
        var error = 0.0, energy = 0.0
        for g in 0..<s.groups {
            let h = hessians[g], gram = s.gram[g]
            for c in 0..<perGroup {
                let o = g * perGroup + c
                var r = [Double](repeating: 0, count: size)
                var fixed = [Double](repeating: 0, count: size)
                for i in 0..<rows {
                    let v = mask[o * rows + i] ? 0 : (codebook.map { $0[Int(codes[o * rows + i])] } ?? current[g][c * size + i])
                    fixed[i] = v
                    dense[o * rows + i] = Float(v)
                    r[i] = v - targets[g][c * size + i]
                }
                if s.hasBias {
                    var t = 0.0
                    for i in 0..<rows { t += h[rows * size + i] * r[i] }
                    let b = targets[g][c * size + rows] - t / h[rows * size + rows]
                    bias[o] = Float(b)
                    fixed[rows] = b
                    r[rows] = b - targets[g][c * size + rows]
                }
                let target = Array(targets[g][(c * size)..<((c + 1) * size)])
                gram.withUnsafeBufferPointer { m in
                    error += quadratic(m.baseAddress!, r, r, size: size)
                    energy += quadratic(m.baseAddress!, target, target, size: size)
                }
            }
        }
        var positions: [UInt32] = []
        let pruned = mask.contains(true)
        if pruned { for (i, m) in mask.enumerated() where !m { positions.append(UInt32(i)) } }
        let storage: WeightTensor.Storage
        if let codebook {
            let kept = pruned ? positions.map { codes[Int($0)] } : codes
            storage = .shared(codebook: codebook.map { Float($0) }, codes: kept, positions: pruned ? positions : nil)
        } else if pruned {
            storage = .sparse(positions: positions, values: positions.map { dense[Int($0)] })
        } else {
            storage = .dense(dense)
        }
        return Result(weights: WeightTensor(shape: shape, storage: storage), bias: bias,
                      relativeError: energy > 0 ? error / energy : 0, kept: pruned ? positions.count : dense.count)
    }
}
