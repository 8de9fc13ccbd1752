import Foundation
import SqueezeCompress
import SqueezeData
import SqueezeModel
import SqueezePrune
import SqueezeQuantize
import SqueezeReconstruct
import SqueezeTrain
import Testing
import TestSupport

@Suite("Calibration-only compression")
struct CompressPipelineTests {
    /// A small network: a strided convolution, a grouped one, pooling, a fully
    /// connected layer (small enough for debug builds: 392 inputs to the last layer).
    static let prototxt = """
        name: "small"
        input: "data"
        input_dim: 1
        input_dim: 1
        input_dim: 28
        input_dim: 28
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 6 kernel_size: 5 stride: 2 pad: 2 } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "r1" }
        layer { name: "conv2" type: "Convolution" bottom: "r1" top: "conv2"
                convolution_param { num_output: 8 kernel_size: 3 pad: 1 group: 2 } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "r2" }
        layer { name: "pool" type: "Pooling" bottom: "r2" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "ip" type: "InnerProduct" bottom: "pool" top: "ip" inner_product_param { num_output: 10 } }
        """

    static func teacher() throws -> (model: Model, train: TrainingData, held: TrainingData) {
        let network = try CaffeDefinition.network(prototxt: Self.prototxt)
        let digits = try MNISTDigits(contentsOf: SharedData.mnistDigits)
        let train = TrainingData(samples: SampleSubset(digits, indices: Array(0..<400)), summary: "400 digits")
        let held = TrainingData(samples: SampleSubset(digits, indices: Array(400..<496)), summary: "96 digits")
        // Freshly initialised: its class distributions are soft, so KL tells models apart
        // (a briefly trained one is already near one-hot on these digits).
        return (try TrainableParameters(initializing: network, seed: 3).model, train, held)
    }

    @Test("output-aware reconstruction is closer to the teacher than magnitude pruning and k-means at the same density and bits")
    func reconstructionBeatsMagnitude() throws {
        let (teacher, train, held) = try Self.teacher()
        let images = try CalibrationSet(train, limit: 128)
        let agreement = try TeacherAgreement(teacher: teacher, images: try CalibrationSet(held), threads: 1)
        let plan = Dictionary(uniqueKeysWithValues: ["conv1", "conv2", "ip"].map { ($0, LayerCompressor.Options(density: 0.4, bits: 3)) })
        let ours = try ReconstructionStage.run(teacher, plan: plan, images: images, threads: 1)
        #expect(ours.layers.map(\.name) == ["conv1", "conv2", "ip"])
        for layer in ours.layers { #expect(abs(layer.density - 0.4) < 0.02, "\(layer.name) kept \(layer.density)") }
        let (pruned, _) = try Pruner.prune(teacher, plan: PruningPlan(defaultRule: .density(0.4)))
        let (magnitude, _) = try Quantizer.quantize(pruned, plan: QuantizationPlan(convolutionBits: 3, fullyConnectedBits: 3))
        let a = try agreement.measure(ours.model, threads: 1), b = try agreement.measure(magnitude, threads: 1)
        #expect(a.divergence < b.divergence, "KL \(a.divergence) vs magnitude \(b.divergence)")
        for name in ["conv1", "conv2", "ip"] {
            let weights = try #require(ours.model.parameters[name]?.weights)
            guard case .shared(let codebook, _, let positions) = weights.storage else { Issue.record("\(name) not shared"); continue }
            #expect(codebook.count <= 8)
            #expect(positions != nil)
        }
    }

    @Test("the teacher measured against itself agrees everywhere")
    func agreementWithItself() throws {
        let (teacher, _, held) = try Self.teacher()
        let agreement = try TeacherAgreement(teacher: teacher, images: try CalibrationSet(held), threads: 2)
        let m = try agreement.measure(teacher, threads: 2)
        #expect(m.agreement == 1)
        #expect(m.agreementTop5 == 1)
        #expect(abs(m.divergence) < 1e-9)
        #expect(m.images == 96)
    }

    @Test("a byte budget is met by the whole file, and the choices are stored in the container",
          arguments: [(3_000, 0.0), (5_000, 0.0), (5_000, 6.0)])
    func budgetIsMet(budget: Int, rateWeight: Double) throws {
        let (teacher, train, held) = try Self.teacher()
        var options = CompressPipeline.Options()
        options.reconstructionImages = 96
        options.sensitivityImages = 48
        options.densities = [1, 0.5, 0.25]
        options.bits = [3, 5]
        options.rateWeight = rateWeight
        let outcome = try CompressPipeline.run(teacher, calibration: train, held: held, budget: .bytes(budget), options: options,
                                               threads: 2)
        #expect(outcome.encoding.bytes.count <= budget)
        #expect(outcome.curves.count == 3)
        // With a rate weight, one more point per layer: unpruned at 5 bits (3 is too few centroids).
        #expect(outcome.curves.allSatisfy { $0.points.count == (rateWeight > 0 ? 7 : 6) })
        #expect(outcome.curves.allSatisfy { $0.points.filter { $0.rateWeight != nil }.allSatisfy { $0.density == 1 && $0.bits == 5 } })
        let decoded = try SqueezeContainer.decodeContents(outcome.encoding.bytes, source: "budget")
        guard case .strings(let entries)? = decoded.metadata[MetadataKeys.history] else {
            Issue.record("no compression history")
            return
        }
        let stages = entries.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(stages.compactMap { $0["stage"] as? String } == ["allocate", "reconstruct"])
        let allocation = stages.first?["parameters"] as? [String: Any]
        #expect(allocation?["target_bytes"] as? Int == budget)
        let layers = (stages.last?["parameters"] as? [String: Any])?["layers"] as? [String: [String: Double]]
        #expect(layers?.count == 3)
        for (name, point) in layers ?? [:] {
            #expect(point["centroids"] == outcome.choices[name].map { Double($0.centroids ?? 1 << $0.bits) }, "\(name)")
            #expect(point["rate_weight"] == outcome.choices[name]?.rateWeight, "\(name)")
        }
        #expect(outcome.reconstructed.agreement > 0.5)
    }

    @Test("a budget below every choice is refused with its own error")
    func budgetTooSmall() throws {
        let (teacher, train, held) = try Self.teacher()
        var options = CompressPipeline.Options()
        options.reconstructionImages = 32
        options.sensitivityImages = 16
        options.densities = [1]
        options.bits = [8]
        #expect(throws: CompressError.self) {
            try CompressPipeline.run(teacher, calibration: train, held: held, budget: .bytes(100), options: options, threads: 1)
        }
    }
}

@Suite("Allocation")
struct AllocationTests {
    static func curves() -> [Allocation.Curve] {
        // Three layers whose damage falls with bytes at different rates.
        var curves: [Allocation.Curve] = []
        for layer in 0..<3 {
            var points: [Allocation.Point] = []
            for step in 1...5 {
                let damage = Double(layer + 1) / Double(step * step)
                points.append(Allocation.Point(density: Double(step) / 5, bits: 4, bytes: 100 * step * (layer + 1),
                                               divergence: damage, agreement: 1))
            }
            curves.append(Allocation.Curve(layer: "l\(layer)", points: points))
        }
        return curves
    }

    @Test("the choice fits the budget and no other choice that fits has less total damage", arguments: [600, 900, 1500, 2500])
    func optimalWithinBudget(budget: Int) throws {
        let curves = Self.curves()
        let choice = try #require(Allocation.allocate(curves, budget: budget))
        let bytes = choice.values.reduce(0) { $0 + $1.bytes }
        #expect(bytes <= budget)
        let damage = choice.values.reduce(0) { $0 + $1.divergence }
        var best = Double.infinity
        for a in curves[0].points { for b in curves[1].points { for c in curves[2].points
            where a.bytes + b.bytes + c.bytes <= budget { best = min(best, a.divergence + b.divergence + c.divergence) } } }
        // Lagrangian choices are optimal on the convex hull; the greedy fill
        // brings the rest close.
        #expect(damage <= best * 1.15, "damage \(damage), best \(best)")
    }

    @Test("a budget below the smallest choices gives nil")
    func tooSmall() {
        #expect(Allocation.allocate(Self.curves(), budget: 599) == nil)
    }
}
