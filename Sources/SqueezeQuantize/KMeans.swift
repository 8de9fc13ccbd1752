/// How the k-means centroids start (Han et al. compare the three and find
/// linear best: it keeps centroids at the rare large weights, which matter most).
public enum CentroidInitialization: String, Hashable, Sendable, CaseIterable, Codable {
    /// Evenly spaced between the smallest and the largest weight.
    case linear
    /// Evenly spaced in the weights' cumulative distribution (quantiles).
    case density
    /// Distinct weights drawn at random.
    case random
}

/// One-dimensional k-means (Lloyd's algorithm) over sorted values: with sorted
/// centroids every cluster is a contiguous run of the sorted values, so an
/// iteration is k binary searches and prefix-sum means instead of k x n distances.
/// A centroid left without members after convergence is moved to the worst-served
/// value, so no code is wasted (this matters for weights that are already
/// quantized, where linear initialisation leaves many centroids between values).
public enum KMeans {
    /// The result of clustering.
    public struct Clustering: Hashable, Sendable {
        /// The centroids, ascending.
        public var centroids: [Float]
        /// For each input value, the index of its nearest centroid.
        public var assignments: [UInt16]
        /// Lloyd iterations run.
        public var iterations: Int
    }

    /// Clusters `values` into at most `k` centroids (fewer only when there are
    /// fewer distinct values).
    ///
    /// - Precondition: `1 <= k <= 65536`, `values` not empty.
    public static func cluster(_ values: [Float], k: Int, initialization: CentroidInitialization,
                               seed: UInt64 = 1, maxIterations: Int = 300) -> Clustering {
        precondition((1...65536).contains(k) && !values.isEmpty)
        let order = values.indices.sorted { values[$0] < values[$1] }
        let sorted = order.map { values[$0] }
        var prefix = [Double](repeating: 0, count: sorted.count + 1)
        for (i, v) in sorted.enumerated() { prefix[i + 1] = prefix[i] + Double(v) }

        var distinct: [Float] = []
        for v in sorted where distinct.last != v { distinct.append(v) }
        var centroids: [Float]
        if distinct.count <= k {
            centroids = distinct
        } else {
            centroids = initial(sorted: sorted, distinct: distinct, k: k, initialization: initialization, seed: seed)
        }

        var iterations = 0
        var relocations = 0
        while iterations < maxIterations {
            iterations += 1
            let bounds = boundaries(sorted: sorted, centroids: centroids)
            var moved = false
            for c in centroids.indices where bounds[c + 1] > bounds[c] {
                let mean = Float((prefix[bounds[c + 1]] - prefix[bounds[c]]) / Double(bounds[c + 1] - bounds[c]))
                if mean != centroids[c] { centroids[c] = mean; moved = true }
            }
            centroids.sort()
            if !moved {
                // An empty cluster wastes a code: move its centroid onto the value
                // worst served by the others, and let Lloyd settle again.
                guard relocations < centroids.count,
                      let empty = centroids.indices.first(where: { bounds[$0 + 1] == bounds[$0] }),
                      let worst = worstServed(sorted: sorted, centroids: centroids)
                else { break }
                relocations += 1
                centroids[empty] = worst
                centroids.sort()
            }
        }
        let bounds = boundaries(sorted: sorted, centroids: centroids)
        var assignments = [UInt16](repeating: 0, count: values.count)
        for c in centroids.indices {
            for s in bounds[c]..<bounds[c + 1] { assignments[order[s]] = UInt16(c) }
        }
        return Clustering(centroids: centroids, assignments: assignments, iterations: iterations)
    }

    /// The value farthest from its nearest centroid, when it is not a centroid itself.
    static func worstServed(sorted: [Float], centroids: [Float]) -> Float? {
        let bounds = boundaries(sorted: sorted, centroids: centroids)
        var worst: Float?, distance: Float = 0
        for c in centroids.indices where bounds[c + 1] > bounds[c] {
            // Within a run the farthest value is at one of its ends.
            for v in [sorted[bounds[c]], sorted[bounds[c + 1] - 1]] where abs(v - centroids[c]) > distance {
                distance = abs(v - centroids[c])
                worst = v
            }
        }
        return worst
    }

    /// `bounds[c]..<bounds[c+1]` is the run of sorted values nearest to centroid `c`.
    static func boundaries(sorted: [Float], centroids: [Float]) -> [Int] {
        var bounds = [0]
        for c in 0..<(centroids.count - 1) {
            let mid = midpoint(centroids[c], centroids[c + 1])
            // First value above the midpoint (ties go to the lower centroid).
            var lo = bounds.last!, hi = sorted.count
            while lo < hi { let m = (lo + hi) / 2; if sorted[m] > mid { hi = m } else { lo = m + 1 } }
            bounds.append(lo)
        }
        bounds.append(sorted.count)
        return bounds
    }

    /// The midpoint of two centroids, finite even when their sum is not.
    static func midpoint(_ a: Float, _ b: Float) -> Float {
        let mid = (a + b) / 2
        return mid.isFinite ? mid : Float((Double(a) + Double(b)) / 2)
    }

    static func initial(sorted: [Float], distinct: [Float], k: Int, initialization: CentroidInitialization,
                        seed: UInt64) -> [Float] {
        switch initialization {
        case .linear:
            let lo = sorted.first!, hi = sorted.last!
            let steps = max(k - 1, 1)
            // Weights near the largest float make the span overflow: space in Double then.
            guard (hi - lo).isFinite else {
                return (0..<k).map { Float(Double(lo) + (Double(hi) - Double(lo)) * Double($0) / Double(steps)) }
            }
            return (0..<k).map { lo + (hi - lo) * Float($0) / Float(steps) }
        case .density:
            // Evenly spaced quantiles (the midpoints of k equal-probability bins).
            return (0..<k).map { sorted[min(sorted.count - 1, Int((Double($0) + 0.5) / Double(k) * Double(sorted.count)))] }
        case .random:
            var state = seed &+ 0x9E37_79B9_7F4A_7C15
            var pool = distinct
            var chosen: [Float] = []
            for i in 0..<k {
                // SplitMix64 step: reproducible without depending on another module.
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let j = i + Int(z % UInt64(pool.count - i))
                pool.swapAt(i, j)
                chosen.append(pool[i])
            }
            return chosen.sorted()
        }
    }
}
