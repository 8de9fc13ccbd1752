import Foundation
import SqueezeData
import SqueezeModel
import SqueezeReader
import SqueezeTrain
import Testing
import TestSupport

/// Training behaviour on a small MLP and the development digits.
struct TrainerTests {
    static let mlp = """
        name: "mlp"
        input: "data"
        input_dim: 1
        input_dim: 1
        input_dim: 28
        input_dim: 28
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: 32 } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "drop" type: "Dropout" bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.2 } }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 } }
        layer { name: "prob" type: "Softmax" bottom: "ip2" top: "prob" }
        """

    static func digits() throws -> (train: SampleSubset<MNISTDigits>, test: SampleSubset<MNISTDigits>) {
        try MNISTDigits(contentsOf: SharedData.mnistDigits).split(holdingOutEvery: 5)
    }

    @Test func trainingFromScratchLearnsDigits() throws {
        let (train, test) = try Self.digits()
        let parameters = try TrainableParameters(initializing: try CaffeDefinition.network(prototxt: Self.mlp), seed: 1)
        let before = try Evaluator.accuracy(of: parameters, on: test)
        let trainer = try Trainer(parameters: parameters, options: TrainingOptions(epochs: 3, learningRate: 0.05, threads: 2))
        let epochs = try trainer.train(on: train)
        let after = try Evaluator.accuracy(of: parameters, on: test)
        #expect(before.top1 < 0.3)
        #expect(after.top1 > 0.85, "test accuracy \(after.top1)")
        #expect(epochs.count == 3 && epochs[2].loss < epochs[0].loss)
    }

    /// Samples of another set with their labels hidden (-1), as calibration images are.
    struct Unlabelled<Base: SampleSet>: SampleSet {
        let base: Base
        var count: Int { base.count }
        var sampleShape: [Int] { base.sampleShape }
        var classCount: Int { 0 }
        func label(at index: Int) -> Int { -1 }
        func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
            try base.load(index, random: &random, into: output)
        }
    }

    @Test func distillationOnUnlabelledSamplesMatchesTheTeacher() throws {
        let (train, test) = try Self.digits()
        let network = try CaffeDefinition.network(prototxt: Self.mlp)
        let teacher = try TrainableParameters(initializing: network, seed: 1)
        _ = try Trainer(parameters: teacher, options: TrainingOptions(epochs: 2, learningRate: 0.05, threads: 2)).train(on: train)
        let student = try TrainableParameters(initializing: network, seed: 7)
        let options = TrainingOptions(epochs: 3, learningRate: 0.05, loss: .distillation(temperature: 2), threads: 2)
        let epochs = try Trainer(parameters: student, options: options, teacher: teacher).train(on: Unlabelled(base: train))
        let references = try Evaluator.topClasses(of: teacher, on: Unlabelled(base: test))
        #expect(references.count == test.count && references.allSatisfy { (0..<10).contains($0) })
        let itself = try Evaluator.accuracy(of: teacher, on: Unlabelled(base: test), references: references)
        #expect(itself.top1 == 1 && itself.top5 == 1)
        let agreement = try Evaluator.accuracy(of: student, on: Unlabelled(base: test), references: references)
        #expect(agreement.top1 > 0.85, "agreement \(agreement.top1)")
        // Training accuracy on unlabelled samples is agreement with the teacher, too.
        #expect(epochs.last!.accuracy > 0.85, "training agreement \(epochs.last!.accuracy)")
        // Without references, unlabelled samples score nothing rather than crash.
        #expect(try Evaluator.accuracy(of: student, on: Unlabelled(base: test)).top1Hits == 0)
    }

    @Test func runsWithTheSameSeedAreIdentical() throws {
        let (train, _) = try Self.digits()
        let network = try CaffeDefinition.network(prototxt: Self.mlp)
        var results: [Model] = []
        for _ in 0..<2 {
            let parameters = try TrainableParameters(initializing: network, seed: 9)
            _ = try Trainer(parameters: parameters, options: TrainingOptions(epochs: 1, learningRate: 0.05, seed: 4, threads: 2))
                .train(on: SampleSubset(train, indices: Array(0..<500)))
            results.append(parameters.model)
        }
        #expect(results[0] == results[1])
    }

    @Test(arguments: Optimizer.allCases)
    func maskedRetrainingKeepsPrunedWeightsExactlyZero(optimizer: Optimizer) throws {
        let (train, _) = try Self.digits()
        let network = try CaffeDefinition.network(prototxt: Self.mlp)
        var model = try TrainableParameters(initializing: network, seed: 2).model
        // Keep every third weight of ip1.
        let dense = model.parameters["ip1"]!.weights.denseValues()
        let positions = stride(from: 0, to: dense.count, by: 3).map(UInt32.init)
        model.parameters["ip1"]!.weights.storage = .sparse(positions: positions, values: positions.map { dense[Int($0)] })
        let parameters = try TrainableParameters(model: model, target: .weights)
        _ = try Trainer(parameters: parameters, options: TrainingOptions(epochs: 1, learningRate: optimizer == .sgd ? 0.05 : 1e-3,
                                                                         threads: 2, optimizer: optimizer))
            .train(on: SampleSubset(train, indices: Array(0..<300)))
        let after = parameters.model.parameters["ip1"]!.weights
        #expect(after.positions == positions)
        let values = after.denseValues()
        #expect(values.enumerated().allSatisfy { $0.offset % 3 == 0 || $0.element == 0 })
        #expect(zip(values, dense).contains { $0.0 != $0.1 }, "the kept weights moved")
    }

    /// SGD moves a centroid by the learning rate times its summed gradient; Adam's
    /// first step by about the learning rate against its sign, whatever its scale.
    @Test(arguments: Optimizer.allCases)
    func eachCentroidMovesByTheSumOfItsWeightsGradients(optimizer: Optimizer) throws {
        let (train, _) = try Self.digits()
        // Without dropout, so the reference pass below sees the same network as the trainer.
        let network = try CaffeDefinition.network(prototxt: Self.mlp.split(separator: "\n").filter { !$0.contains("Dropout") }
            .joined(separator: "\n"))
        var model = try TrainableParameters(initializing: network, seed: 3).model
        let initial: [Float] = [-0.05, -0.01, 0.01, 0.05]
        var assigned: [String: [UInt16]] = [:]
        for name in ["ip1", "ip2"] {
            // Each weight to its nearest centroid, so the quantized network still computes something.
            let codes = model.parameters[name]!.weights.denseValues().map { w in
                UInt16(initial.indices.min { abs(initial[$0] - w) < abs(initial[$1] - w) }!)
            }
            assigned[name] = codes
            model.parameters[name]!.weights.storage = .shared(codebook: initial, codes: codes, positions: nil)
        }
        let batch = Array(0..<16)
        // The expected step: one update without momentum, from the dense gradients.
        let dense = try TrainableParameters(model: model, target: .weights)
        let graph = try TrainingGraph(parameters: dense, capacity: batch.count)
        let size = graph.sampleShape.elementCount
        for (i, index) in batch.enumerated() {
            let sample = try train.load(index)
            for j in 0..<size { graph.input[i * size + j] = sample[j] }
        }
        graph.zeroParameterGradients()
        graph.forward(count: batch.count)
        _ = graph.applyLoss(.crossEntropy, labels: batch.map { train.label(at: $0) }, scale: 1 / Float(batch.count))
        graph.backward(count: batch.count)
        let lr: Float = 0.1
        let slot = dense.slot(named: "ip2")!
        let gradient = graph.weightGradients[dense.slots.firstIndex { $0 === slot }!]
        var sums: [Float] = [0, 0, 0, 0]
        for j in 0..<gradient.count { sums[Int(assigned["ip2"]![j])] += gradient[j] }
        // Adam's first step with no first-moment decay: lr g / (|g| + epsilon / sqrt(1 - beta2)).
        let expected = zip(initial, sums).map { c, g in
            optimizer == .sgd ? c - lr * g : c - lr * g / (abs(g) + 1e-8 / (1 - Float(0.999)).squareRoot())
        }

        let shared = try TrainableParameters(model: model, target: .centroids)
        let options = TrainingOptions(epochs: 1, batchSize: batch.count, learningRate: lr, momentum: 0, weightDecay: 0,
                                      trainBiases: false, augment: false, threads: 1, optimizer: optimizer)
        // One batch, in order: a subset of exactly the batch, shuffled, is the same set of samples.
        _ = try Trainer(parameters: shared, options: options).train(on: SampleSubset(train, indices: batch))
        guard case .shared(let codebook, let codes, nil) = shared.model.parameters["ip2"]!.weights.storage else {
            Issue.record("ip2 is no longer shared")
            return
        }
        #expect(codes == assigned["ip2"])
        if optimizer == .adam {
            #expect(zip(codebook, initial).allSatisfy { abs(abs($0 - $1) - lr) < 0.01 * lr }, "each centroid moved by lr")
        }
        for (a, b) in zip(codebook, expected) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(codebook) vs \(expected)") }
    }

    @Test func emptyOrMismatchedDataIsRefused() throws {
        let parameters = try TrainableParameters(initializing: try CaffeDefinition.network(prototxt: Self.mlp), seed: 1)
        let trainer = try Trainer(parameters: parameters, options: TrainingOptions(epochs: 1))
        let (train, _) = try Self.digits()
        #expect(throws: TrainingError.dataMismatch("the data set is empty")) {
            try trainer.train(on: SampleSubset(train, indices: []))
        }
        #expect(throws: TrainingError.invalidOption("--lr must be positive and below 100, not -1.0")) {
            try Trainer(parameters: parameters, options: TrainingOptions(learningRate: -1))
        }
    }
}
