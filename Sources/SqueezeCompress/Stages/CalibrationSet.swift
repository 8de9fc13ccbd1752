import Foundation
import SqueezeData
import SqueezeExecutor
import SqueezeKernels
import SqueezeModel

/// Calibration inputs decoded once and kept in memory (the stages that learn
/// from them run many forward passes over the same images).
public struct CalibrationSet: Sendable {
    /// Values per image.
    public let sampleCount: Int
    /// Images held.
    public let count: Int
    /// The inputs, image after image.
    public let inputs: [Float]

    /// Loads `limit` evenly spread images of `data` (all when nil), without augmentation.
    public init(_ data: TrainingData, limit: Int? = nil) throws {
        let total = data.samples.count
        let n = max(1, min(limit ?? total, total))
        sampleCount = data.samples.sampleCount
        var inputs = [Float](repeating: 0, count: n * sampleCount)
        let size = sampleCount
        for k in 0..<n {
            var none: SeededGenerator?
            try inputs.withUnsafeMutableBufferPointer { (b) throws(DataError) in
                try data.samples.load(k * total / n, random: &none,
                                      into: UnsafeMutableBufferPointer(rebasing: b[(k * size)..<((k + 1) * size)]))
            }
        }
        self.inputs = inputs
        count = n
    }

    /// A dense executor of `model` that runs batches of these images.
    final class Runner {
        let executor: DenseExecutor
        let batch: Int
        private var input: [Float]
        private var output: [Float]
        private let images: CalibrationSet

        init(_ model: Model, images: CalibrationSet, batchSize: Int) throws {
            batch = max(1, min(batchSize, images.count))
            executor = try DenseProgram(model: model, batchSize: batch).makeExecutor()
            input = [Float](repeating: 0, count: executor.inputShape.elementCount)
            output = [Float](repeating: 0, count: executor.outputShape.elementCount)
            self.images = images
        }

        /// Runs the images `range` (at most one batch); a short batch leaves
        /// stale images past its end, which callers do not read.
        func run(_ range: Range<Int>) throws {
            let size = images.sampleCount
            input.withUnsafeMutableBufferPointer { b in
                images.inputs.withUnsafeBufferPointer { s in
                    _ = UnsafeMutableBufferPointer(rebasing: b[0..<(range.count * size)])
                        .update(fromContentsOf: s[(range.lowerBound * size)..<(range.upperBound * size)])
                }
            }
            try input.withUnsafeBufferPointer { x in
                try output.withUnsafeMutableBufferPointer { y in try executor.run(x, into: y) }
            }
        }

        /// Blob `name` for the last batch run.
        func blob(_ name: String) throws -> [Float] {
            guard let values = executor.blob(named: name) else { throw BiasCorrectionError.missingBlob(name) }
            return values
        }
    }

    /// The batches of `batch` images, in order.
    func batches(of batch: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: max(batch, 1)).map { $0..<min($0 + max(batch, 1), count) }
    }

    /// The network's output per image (class scores), row after row, from the
    /// compressed engine (the fastest way through a model one image at a time).
    func outputs(of model: Model, threads: Int) throws -> [[Float]] {
        let executor = try CompressedNetwork(model: model).program(batchSize: 1, threads: threads).makeExecutor()
        var output = [Float](repeating: 0, count: executor.outputShape.elementCount)
        var result: [[Float]] = []
        result.reserveCapacity(count)
        try inputs.withUnsafeBufferPointer { all in
            for k in 0..<count {
                let image = UnsafeBufferPointer(rebasing: all[(k * sampleCount)..<((k + 1) * sampleCount)])
                try output.withUnsafeMutableBufferPointer { y in try executor.run(image, into: y) }
                result.append(output)
            }
        }
        return result
    }
}

/// How far a compressed model's outputs are from the teacher's on a held-back
/// calibration split: the mean KL divergence of the class distributions and
/// the top-1 agreement (what compression choices are judged by; no labels).
public struct TeacherAgreement: Sendable {
    /// The images.
    public let images: CalibrationSet
    /// The teacher's class distributions, per image.
    let teacher: [[Double]]

    /// One measurement.
    public struct Measurement: Codable, Hashable, Sendable {
        /// Mean KL(teacher || model) over the images, in nats.
        public var divergence: Double
        /// The fraction of images whose top-1 class is the teacher's.
        public var agreement: Double
        /// The fraction whose top-5 holds the teacher's top-1.
        public var agreementTop5: Double
        /// Images measured.
        public var images: Int
    }

    /// Measures the teacher once on `images`.
    public init(teacher model: Model, images: CalibrationSet, threads: Int) throws {
        self.images = images
        teacher = try images.outputs(of: model, threads: threads).map(Self.distribution)
    }

    /// Compares `model` with the teacher.
    public func measure(_ model: Model, threads: Int) throws -> Measurement {
        let outputs = try images.outputs(of: model, threads: threads)
        var kl = 0.0, top1 = 0, top5 = 0
        for (p, raw) in zip(teacher, outputs) {
            let q = Self.distribution(raw)
            for (a, b) in zip(p, q) where a > 0 { kl += a * (log(a) - log(max(b, 1e-30))) }
            let reference = p.indices.max { p[$0] < p[$1] } ?? 0
            let better = q.reduce(0) { $0 + ($1 > q[reference] ? 1 : 0) }
            if better == 0 { top1 += 1 }
            if better < 5 { top5 += 1 }
        }
        let n = Double(max(outputs.count, 1))
        return Measurement(divergence: kl / n, agreement: Double(top1) / n, agreementTop5: Double(top5) / n, images: outputs.count)
    }

    /// Scores as a distribution: kept when they already are one (a softmax
    /// output), else their softmax.
    static func distribution(_ scores: [Float]) -> [Double] {
        let values = scores.map(Double.init)
        let sum = values.reduce(0, +)
        if values.allSatisfy({ $0 >= 0 }), abs(sum - 1) < 1e-3 { return values.map { $0 / sum } }
        let top = values.max() ?? 0
        let e = values.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
