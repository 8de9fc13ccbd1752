import SqueezeModel
import SqueezePrune
import SqueezeQuantize
import Testing

/// A two-layer model with deterministic weights.
func tinyModel() -> Model {
    let network = Network(
        name: "tiny", inputs: [NetworkInput(name: "data", shape: [1, 1, 4, 4])],
        layers: [
            Layer(name: "conv", kind: Convolution(outputChannels: 2, kernel: Spatial(3), padding: Spatial(1)),
                  bottoms: ["data"], tops: ["conv"]),
            Layer(name: "fc", kind: InnerProduct(outputCount: 3), bottoms: ["conv"], tops: ["fc"]),
        ])
    let conv = (0..<18).map { Float($0 - 9) / 10 }
    let fc = (0..<96).map { Float(($0 * 37) % 96 - 48) / 50 }
    return Model(network: network, parameters: [
        "conv": LayerParameters(weights: WeightTensor(shape: [2, 1, 3, 3], values: conv), bias: [0.1, -0.1]),
        "fc": LayerParameters(weights: WeightTensor(shape: [3, 32], values: fc), bias: [0, 0, 0]),
    ])
}

struct PruningTests {
    @Test(arguments: [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    func densityIsMetExactly(_ density: Double) throws {
        let model = tinyModel()
        let (pruned, layers) = try Pruner.prune(model, plan: PruningPlan(layers: ["fc": .density(density)]))
        try pruned.validate()
        let fc = try #require(layers.first { $0.name == "fc" })
        let nonZero = model.parameters["fc"]!.weights.nonZeroCount
        #expect(fc.keptAfter == min(Int((density * 96).rounded()), nonZero))
        // The kept weights are the largest ones, unchanged.
        let before = model.parameters["fc"]!.weights.denseValues()
        let after = pruned.parameters["fc"]!.weights.denseValues()
        let smallestKept = zip(before, after).filter { $0.1 != 0 }.map { abs($0.0) }.min() ?? .infinity
        let largestDropped = zip(before, after).filter { $0.1 == 0 }.map { abs($0.0) }.max() ?? 0
        #expect(smallestKept >= largestDropped)
        #expect(zip(before, after).allSatisfy { $0.1 == 0 || $0.1 == $0.0 })
        // The untouched layer stays as it was.
        #expect(pruned.parameters["conv"] == model.parameters["conv"])
    }

    @Test func qualityThresholdIsAMultipleOfTheStandardDeviation() throws {
        let model = tinyModel()
        let values = model.parameters["conv"]!.weights.denseValues()
        let t = Pruner.threshold(values, rule: .quality(1))
        let (pruned, _) = try Pruner.prune(model, plan: PruningPlan(layers: ["conv": .quality(1)]))
        let after = pruned.parameters["conv"]!.weights.denseValues()
        #expect(zip(values, after).allSatisfy { abs($0.0) > t ? $0.1 == $0.0 : $0.1 == 0 })
    }

    @Test func overallDensityIsReachedWithOneQualityFactor() throws {
        let (pruned, _) = try Pruner.prune(tinyModel(), plan: PruningPlan(overallDensity: 0.3))
        let density = Double(pruned.nonZeroWeightCount) / Double(pruned.weightCount)
        #expect(abs(density - 0.3) < 0.05)
    }

    @Test func prunedWeightsStayPrunedAndSharedLayersKeepTheirCodebook() throws {
        let (quantized, _) = try Quantizer.quantize(tinyModel(), plan: QuantizationPlan(fullyConnectedBits: 3))
        let (pruned, _) = try Pruner.prune(quantized, plan: PruningPlan(layers: ["fc": .density(0.5)]))
        guard case .shared(let before, _, _) = quantized.parameters["fc"]!.weights.storage,
              case .shared(let after, _, let positions?) = pruned.parameters["fc"]!.weights.storage
        else { Issue.record("fc is no longer weight-shared"); return }
        #expect(before == after)
        #expect(positions.count == 48)
        let (again, _) = try Pruner.prune(pruned, plan: PruningPlan(layers: ["fc": .density(1)]))
        #expect(again.parameters["fc"]!.weights.nonZeroCount == pruned.parameters["fc"]!.weights.nonZeroCount)
    }

    @Test func badPlansAreRefused() {
        let model = tinyModel()
        #expect(throws: PruneError.unknownLayer("fc7", known: ["conv", "fc"])) {
            try PruningPlan(layers: ["fc7": .density(0.5)]).validate(for: model)
        }
        #expect(throws: PruneError.invalidDensity("layer 'fc'", 1.5)) {
            try PruningPlan(layers: ["fc": .density(1.5)]).validate(for: model)
        }
        #expect(throws: PruneError.invalidDensity("the model", -0.1)) {
            try PruningPlan(overallDensity: -0.1).validate(for: model)
        }
    }
}

struct QuantizationTests {
    @Test(arguments: 1...8)
    func sharedLayersUseAtMostTwoToTheBitsCentroidsAndKeepZeros(_ bits: Int) throws {
        let (pruned, _) = try Pruner.prune(tinyModel(), plan: PruningPlan(layers: ["fc": .density(0.5)]))
        let (quantized, layers) = try Quantizer.quantize(pruned, plan: QuantizationPlan(convolutionBits: bits, fullyConnectedBits: bits))
        try quantized.validate()
        for name in ["conv", "fc"] {
            let w = quantized.parameters[name]!.weights
            guard case .shared(let codebook, _, _) = w.storage else { Issue.record("\(name) not shared"); continue }
            #expect(codebook.count <= 1 << bits)
            let before = pruned.parameters[name]!.weights.denseValues()
            let after = w.denseValues()
            #expect(zip(before, after).allSatisfy { ($0.0 == 0) == ($0.1 == 0) || codebook.contains(0) })
        }
        #expect(layers.count == 2)
    }

    @Test func badPlansAreRefused() {
        let model = tinyModel()
        #expect(throws: QuantizeError.invalidBits("layer 'fc'", 17)) {
            try QuantizationPlan(layers: ["fc": 17]).bits(for: model)
        }
        #expect(throws: QuantizeError.invalidBits("convolution layers", 0)) {
            try QuantizationPlan(convolutionBits: 0).bits(for: model)
        }
        #expect(throws: QuantizeError.unknownLayer("conv9", known: ["conv", "fc"])) {
            try QuantizationPlan(layers: ["conv9": 4]).bits(for: model)
        }
    }
}
