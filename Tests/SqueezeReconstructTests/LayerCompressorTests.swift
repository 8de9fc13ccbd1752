import Foundation
import Testing
import SqueezeModel
@testable import SqueezeReconstruct

/// A small deterministic generator for test data.
struct Lcg {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
}

/// A layer problem: weights `[out, rows]`, a bias, and input columns with
/// correlated rows (as real activations have), the teacher's optionally shifted.
struct Problem {
    var outputs: Int, rows: Int, columns: Int
    var weights: [Float], bias: [Float]
    var student: [Float], teacher: [Float]

    init(outputs: Int = 6, rows: Int = 12, columns: Int = 400, shift: Float = 0, seed: UInt64 = 7) {
        var r = Lcg(state: seed)
        self.outputs = outputs
        self.rows = rows
        self.columns = columns
        weights = (0..<(outputs * rows)).map { _ in Float(r.next()) }
        bias = (0..<outputs).map { _ in Float(r.next()) }
        var x = [Float](repeating: 0, count: rows * columns)
        for p in 0..<columns {
            let common = r.next()
            for i in 0..<rows { x[i * columns + p] = Float(common * 0.8 + r.next() * 0.6 + (i % 3 == 0 ? 0.5 : 0)) }
        }
        teacher = x
        student = x.enumerated().map { i, v in v + (i / columns % 2 == 0 ? shift : 0) }
    }

    func statistics(hasBias: Bool = true, sameInputs: Bool = false) -> LayerStatistics {
        var s = LayerStatistics(groups: 1, rows: rows, hasBias: hasBias)
        var scratch = [Float](repeating: 0, count: rows * rows)
        student.withUnsafeBufferPointer { x in
            teacher.withUnsafeBufferPointer { t in
                s.accumulate(group: 0, student: x.baseAddress!, teacher: sameInputs ? nil : t.baseAddress!, count: columns,
                             scratch: &scratch)
            }
        }
        return s
    }

    /// Sum over outputs and columns of (student output - teacher output)^2.
    func outputError(weights w: [Float], bias b: [Float]) -> Double {
        var total = 0.0
        for o in 0..<outputs {
            for p in 0..<columns {
                var mine = Double(b[o]), theirs = Double(bias[o])
                for i in 0..<rows {
                    mine += Double(w[o * rows + i]) * Double(student[i * columns + p])
                    theirs += Double(weights[o * rows + i]) * Double(teacher[i * columns + p])
                }
                total += (mine - theirs) * (mine - theirs)
            }
        }
        return total
    }

    var tensor: WeightTensor { WeightTensor(shape: TensorShape([outputs, rows]), values: weights) }
}

@Suite struct SymmetricSolverTests {
    @Test(arguments: [1, 3, 8])
    func inverseTimesMatrixIsIdentity(n: Int) throws {
        var r = Lcg(state: UInt64(n))
        let b = (0..<(n * n)).map { _ in r.next() }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += b[i * n + k] * b[j * n + k] } }; a[i * n + i] += 0.1 }
        let inverse = try #require(SymmetricSolver.inverse(a, n: n))
        for i in 0..<n { for j in 0..<n {
            var v = 0.0
            for k in 0..<n { v += a[i * n + k] * inverse[k * n + j] }
            #expect(abs(v - (i == j ? 1 : 0)) < 1e-8)
        } }
        let u = try #require(SymmetricSolver.inverseUpperFactor(a, n: n))
        for i in 0..<n { for j in 0..<n {
            var v = 0.0
            for k in 0..<n { v += u[k * n + i] * u[k * n + j] }
            #expect(abs(v - inverse[i * n + j]) < 1e-8)
            if j < i { #expect(u[i * n + j] == 0) }
        } }
    }

    @Test func refusesAnIndefiniteMatrix() {
        #expect(SymmetricSolver.inverse([1, 2, 2, 1], n: 2) == nil)
    }
}

@Suite struct LayerCompressorTests {
    @Test func withNothingToDoTheWeightsStay() throws {
        let p = Problem()
        let result = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: p.statistics(sameInputs: true),
                                                  options: .init())
        for (a, b) in zip(result.weights.denseValues(), p.weights) { #expect(abs(a - b) < 1e-4) }
        for (a, b) in zip(result.bias, p.bias) { #expect(abs(a - b) < 1e-4) }
        #expect(result.relativeError < 1e-9)
    }

    @Test func matchingTheTeacherUndoesAnInputDrift() throws {
        let p = Problem(shift: 0.3)
        let drifted = p.outputError(weights: p.weights, bias: p.bias)
        let result = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: p.statistics(), options: .init())
        let fitted = p.outputError(weights: result.weights.denseValues(), bias: result.bias)
        // A constant shift of some inputs is absorbed exactly by the bias (up to damping).
        #expect(fitted < drifted * 0.01)
    }

    @Test(arguments: [0.25, 0.5, 0.75])
    func outputAwarePruningBeatsMagnitude(density: Double) throws {
        let p = Problem(outputs: 8, rows: 24)
        let result = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: p.statistics(sameInputs: true),
                                                  options: .init(density: density))
        let kept = result.weights.denseValues().filter { $0 != 0 }.count
        #expect(abs(Double(kept) - density * Double(p.weights.count)) <= Double(p.outputs))
        // Magnitude pruning to the same count, bias untouched.
        let threshold = p.weights.map(abs).sorted(by: >)[kept - 1]
        let magnitude = p.weights.map { abs($0) >= threshold ? $0 : 0 }
        let ours = p.outputError(weights: result.weights.denseValues(), bias: result.bias)
        #expect(ours < p.outputError(weights: magnitude, bias: p.bias))
        #expect(result.weights.isPruned)
    }

    @Test(arguments: [2, 3, 4])
    func sharingUsesAtMostTwoToTheBitsValues(bits: Int) throws {
        let p = Problem(outputs: 8, rows: 24)
        let result = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: p.statistics(sameInputs: true),
                                                  options: .init(density: 0.5, bits: bits))
        guard case .shared(let codebook, let codes, let positions) = result.weights.storage else {
            Issue.record("not shared")
            return
        }
        #expect(codebook.count <= 1 << bits)
        #expect(codes.allSatisfy { Int($0) < codebook.count })
        #expect(positions?.count == codes.count)
        #expect(Set(result.weights.denseValues().filter { $0 != 0 }).count <= 1 << bits)
    }

    @Test func refittingTheCentroidsLowersTheError() throws {
        let p = Problem(outputs: 8, rows: 24)
        let stats = p.statistics(sameInputs: true)
        let once = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: .init(bits: 2, refits: 0))
        let refitted = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: .init(bits: 2, refits: 2))
        #expect(refitted.relativeError <= once.relativeError * 1.0001)
        #expect(p.outputError(weights: refitted.weights.denseValues(), bias: refitted.bias)
                <= p.outputError(weights: once.weights.denseValues(), bias: once.bias) * 1.0001)
    }

    /// The codes' empirical entropy in bits per weight.
    static func entropy(_ codes: [UInt16]) -> Double {
        var counts: [UInt16: Double] = [:]
        for c in codes { counts[c, default: 0] += 1 }
        let n = Double(codes.count)
        return counts.values.reduce(0) { $0 - $1 / n * log2($1 / n) }
    }

    @Test("a rate weight trades output error for shorter codes", arguments: [4.0, 8.0])
    func entropyConstrainedSharing(rateWeight: Double) throws {
        let p = Problem(outputs: 16, rows: 32, columns: 800)
        let stats = p.statistics(sameInputs: true)
        var options = LayerCompressor.Options(bits: 4)
        let plain = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: options)
        options.rateWeight = rateWeight
        let constrained = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: options)
        guard case .shared(_, let plainCodes, nil) = plain.weights.storage,
              case .shared(_, let codes, nil) = constrained.weights.storage else {
            Issue.record("not shared")
            return
        }
        #expect(Self.entropy(codes) < Self.entropy(plainCodes) - 0.05, "\(Self.entropy(codes)) vs \(Self.entropy(plainCodes))")
        #expect(p.outputError(weights: constrained.weights.denseValues(), bias: constrained.bias)
                > p.outputError(weights: plain.weights.denseValues(), bias: plain.bias))
        #expect(throws: ReconstructError.self) {
            options.rateWeight = -1
            return try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: options)
        }
    }

    @Test("weights come back in their places whichever order the columns were fixed in", arguments: [true, false])
    func columnOrder(activationOrder: Bool) throws {
        let p = Problem(outputs: 8, rows: 24)
        let stats = p.statistics(sameInputs: true)
        var options = LayerCompressor.Options(bits: 3)
        options.activationOrder = activationOrder
        let ours = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: options)
        var baseline = options
        baseline.method = .magnitude
        let kmeans = try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: stats, options: baseline)
        #expect(p.outputError(weights: ours.weights.denseValues(), bias: ours.bias)
                < p.outputError(weights: kmeans.weights.denseValues(), bias: kmeans.bias))
        #expect(!ours.weights.isPruned)
    }

    @Test func prunedWeightsStayPruned() throws {
        let p = Problem()
        let zeros = Set([0, 5, 17, 30])
        let values = p.weights.enumerated().map { zeros.contains($0.offset) ? 0 : $0.element }
        let positions = values.indices.filter { values[$0] != 0 }.map(UInt32.init)
        let tensor = WeightTensor(shape: TensorShape([p.outputs, p.rows]),
                                  storage: .sparse(positions: positions, values: positions.map { values[Int($0)] }))
        let result = try LayerCompressor.compress(weights: tensor, bias: p.bias, statistics: p.statistics(), options: .init(bits: 3))
        let out = result.weights.denseValues()
        for z in zeros { #expect(out[z] == 0) }
    }

    @Test func refusesMismatchedStatistics() {
        let p = Problem()
        #expect(throws: ReconstructError.self) {
            try LayerCompressor.compress(weights: p.tensor, bias: [], statistics: p.statistics(), options: .init())
        }
        #expect(throws: ReconstructError.self) {
            try LayerCompressor.compress(weights: p.tensor, bias: p.bias, statistics: p.statistics(), options: .init(density: 1.5))
        }
    }
}
