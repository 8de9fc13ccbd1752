import Foundation
import SqueezeContainer
import SqueezeModel
import SqueezeReconstruct

/// Sensitivity analysis and per-layer allocation of densities and bits.
///
/// Each layer alone is compressed at every point of a grid of densities and
/// bits (output-aware, from the teacher's own statistics) and its damage
/// measured as the KL divergence of the network's outputs to the teacher's
/// on a held-back calibration split; its bytes are what the container really
/// writes for it. Damages are taken as additive across layers, and the
/// choice per layer that minimises their sum within a byte budget is found
/// by a Lagrangian search (each layer minimises damage + lambda * bytes).
public enum Allocation {
    /// One grid point of one layer.
    public struct Point: Codable, Hashable, Sendable {
        /// The fraction of weights kept.
        public var density: Double
        /// Bits per codebook index.
        public var bits: Int
        /// Codebook entries when not `2^bits`.
        public var centroids: Int?
        /// The layer's section bytes.
        public var bytes: Int
        /// KL divergence to the teacher with only this layer compressed.
        public var divergence: Double
        /// Top-1 agreement with the teacher then.
        public var agreement: Double
        /// Entropy-constrained sharing's rate weight (nil: nearest centroid).
        public var rateWeight: Double?

        /// A point.
        public init(density: Double, bits: Int, centroids: Int? = nil, bytes: Int, divergence: Double, agreement: Double,
                    rateWeight: Double? = nil) {
            self.density = density
            self.bits = bits
            self.centroids = centroids
            self.bytes = bytes
            self.divergence = divergence
            self.agreement = agreement
            self.rateWeight = rateWeight
        }
    }

    /// One layer's grid.
    public struct Curve: Codable, Hashable, Sendable {
        /// The layer.
        public var layer: String
        /// Every point measured.
        public var points: [Point]

        /// A curve.
        public init(layer: String, points: [Point]) {
            self.layer = layer
            self.points = points
        }
    }

    /// The default grid.
    public static let defaultDensities = [1.0, 0.7, 0.5, 0.35]
    /// The default bits per weight: a fractional `b` means `round(2^b)`
    /// centroids (Huffman coding spends about `b` bits on them).
    public static let defaultBits: [Double] = [3, 3.5, 4, 4.5, 5, 6]

    /// The codebook entries and the index bits for `b` bits per weight.
    public static func codebook(bits b: Double) -> (centroids: Int, bits: Int) {
        let k = max(1, Int(pow(2, b).rounded()))
        var bits = 0
        while 1 << bits < k { bits += 1 }
        return (k, max(bits, 1))
    }

    /// The grid: every density with every bits value, nearest-centroid; with
    /// a rate weight also entropy-constrained points, unpruned and at 4 bits
    /// or more (smaller codebooks leave code lengths little room to differ).
    static func grid(densities: [Double], bits: [Double], rateWeight: Double) -> [(density: Double, bits: Double, rate: Double?)] {
        let plain = densities.flatMap { d in bits.map { (density: d, bits: $0, rate: Double?.none) } }
        guard rateWeight > 0 else { return plain }
        return plain + bits.filter { $0 >= 4 }.map { (density: 1, bits: $0, rate: rateWeight) }
    }

    /// Measures every layer of `model` at every grid point (see `grid`).
    public static func sensitivity(_ model: Model, densities: [Double] = defaultDensities, bits: [Double] = defaultBits,
                                   statisticsImages: CalibrationSet, agreement: TeacherAgreement,
                                   method: LayerCompressor.Method = .outputAware, rateWeight: Double = 0,
                                   options: ContainerOptions = ContainerOptions(), threads: Int,
                                   observer: StageObserver = .silent) throws -> [Curve] {
        for d in densities where !(d.isFinite && d > 0 && d <= 1) { throw ReconstructError.invalidOption("density \(d) in the grid") }
        for b in bits where !(b.isFinite && b >= 1 && b <= 16) { throw ReconstructError.invalidOption("bits \(b) in the grid") }
        let network = model.network
        let shapes = try network.inferShapes()
        let indices = network.layers.indices.filter { network.layers[$0].kind.hasWeights }
        let statistics: [LayerStatistics]
        if method == .magnitude {
            statistics = indices.map { ReconstructionStage.emptyStatistics(model, layer: $0, shapes: shapes) }
        } else {
            observer.phase("layer statistics", statisticsImages.count)
            var done = 0
            statistics = try ReconstructionStage.gather(student: model, teacher: nil, layers: indices, shapes: shapes,
                                                        images: statisticsImages, batchSize: 8, threads: threads) {
                done += $0
                observer.advance(done)
            }
            observer.finish()
        }
        guard rateWeight.isFinite, rateWeight >= 0 else { throw ReconstructError.invalidOption("rate weight \(rateWeight)") }
        let grid = grid(densities: densities, bits: bits, rateWeight: rateWeight)
        observer.phase("sensitivity", indices.count * grid.count)
        defer { observer.finish() }
        var curves: [Curve] = []
        var done = 0
        for (index, stats) in zip(indices, statistics) {
            let layer = network.layers[index]
            guard let parameters = model.parameters[layer.name] else { continue }
            var curve = Curve(layer: layer.name, points: [])
            for (d, b, rate) in grid {
                let (k, width) = codebook(bits: b)
                var settings = LayerCompressor.Options(density: d, bits: width, matchTeacher: false, method: method)
                settings.centroids = k
                settings.rateWeight = rate ?? 0
                let result = try LayerCompressor.compress(weights: parameters.weights, bias: parameters.bias, statistics: stats,
                                                          options: settings)
                var compressed = parameters
                compressed.weights = result.weights
                if !result.bias.isEmpty { compressed.bias = result.bias }
                var trial = model
                trial.parameters[layer.name] = compressed
                let measured = try agreement.measure(trial, threads: threads)
                curve.points.append(Point(density: d, bits: width, centroids: k,
                                          bytes: try SqueezeContainer.sectionBytes(of: layer, parameters: compressed, options: options),
                                          divergence: measured.divergence, agreement: measured.agreement, rateWeight: rate))
                done += 1
                observer.advance(done)
            }
            curves.append(curve)
        }
        return curves
    }

    /// Per layer, the point that minimises the summed divergence with the
    /// layers' bytes at most `budget`; nil when even the smallest points exceed it.
    public static func allocate(_ curves: [Curve], budget: Int) -> [String: Point]? {
        let smallest = curves.reduce(0) { $0 + ($1.points.map(\.bytes).min() ?? 0) }
        guard smallest <= budget else { return nil }
        func choose(_ lambda: Double) -> [String: Point] {
            var choice: [String: Point] = [:]
            for curve in curves {
                choice[curve.layer] = curve.points.min {
                    ($0.divergence + lambda * Double($0.bytes), $0.bytes) < ($1.divergence + lambda * Double($1.bytes), $1.bytes)
                }
            }
            return choice
        }
        func total(_ choice: [String: Point]) -> Int { choice.values.reduce(0) { $0 + $1.bytes } }
        if total(choose(0)) <= budget { return choose(0) }
        var lo = 0.0, hi = 1e-9
        while total(choose(hi)) > budget, hi < 1e6 { hi *= 2 }
        for _ in 0..<80 {
            let mid = (lo + hi) / 2
            if total(choose(mid)) > budget { lo = mid } else { hi = mid }
        }
        var choice = choose(hi)
        // Spend what the step of lambda left: upgrade the layer whose next point
        // buys the most divergence per byte while it still fits.
        var spare = budget - total(choice)
        while true {
            var best: (String, Point, Double)?
            for curve in curves {
                guard let current = choice[curve.layer] else { continue }
                for p in curve.points where p.bytes > current.bytes && p.bytes - current.bytes <= spare
                    && p.divergence < current.divergence {
                    let gain = (current.divergence - p.divergence) / Double(p.bytes - current.bytes)
                    if gain > (best?.2 ?? 0) { best = (curve.layer, p, gain) }
                }
            }
            guard let (name, point, _) = best, let current = choice[name] else { break }
            spare -= point.bytes - current.bytes
            choice[name] = point
        }
        return choice
    }
}
