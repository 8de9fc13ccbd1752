import Dispatch
import Foundation
import SqueezeData
import SqueezeKernels
import SqueezeModel

/// Trains `TrainableParameters` with minibatch SGD, data-parallel over threads:
/// each worker runs forward and backward on its share of a batch in its own
/// graph, and the gradients are summed in a fixed order before one update, so a
/// run is reproducible for a given seed and thread count.
public final class Trainer {
    /// The parameters being trained (updated in place).
    public let parameters: TrainableParameters
    /// The options.
    public let options: TrainingOptions
    private let graphs: [TrainingGraph]
    private let teachers: [TrainingGraph]
    private let optimizer: any ParameterUpdate

    /// A trainer. Distillation needs `teacher`: the parameters whose outputs the
    /// student learns to match (for instance the model before quantization).
    ///
    /// Refused before allocating when the workers' graphs and the optimiser's
    /// state would need more than `memoryLimit`.
    public init(parameters: TrainableParameters, options: TrainingOptions,
                teacher: TrainableParameters? = nil, memoryLimit: MemoryLimit = .current) throws(TrainingError) {
        try options.validate()
        let workers = min(options.threads, options.batchSize)
        let share = (options.batchSize + workers - 1) / workers
        // Every worker's graphs and the optimiser's state, checked before any is allocated.
        let layout = try TrainingGraph.Layout(parameters: parameters, capacity: share, forTraining: true)
        var estimate = MemoryEstimate("training")
        estimate.add(layout.memory, times: workers)
        var teacherLayout: TrainingGraph.Layout?
        if case .distillation = options.loss {
            guard let teacher else { throw .invalidOption("distillation needs a teacher model") }
            let t = try TrainingGraph.Layout(parameters: teacher, capacity: share, forTraining: false)
            estimate.add(t.memory, times: workers)
            teacherLayout = t
        }
        let state = parameters.slots.reduce(0) { Checked.saturatingAdd($0, $1.weights.count + $1.bias.count) }
        estimate.add("optimiser state", count: options.optimizer == .adam ? Checked.saturatingAdd(state, state) : state, elementBytes: 4)
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        var graphs: [TrainingGraph] = [], teachers: [TrainingGraph] = []
        for _ in 0..<workers {
            graphs.append(try TrainingGraph(layout: layout))
            if let teacherLayout { teachers.append(try TrainingGraph(layout: teacherLayout)) }
        }
        if let t = teachers.first, t.classCount != graphs[0].classCount {
            throw .unsupportedTopology("the teacher has \(t.classCount) outputs, the student \(graphs[0].classCount)")
        }
        self.parameters = parameters
        self.options = options
        self.graphs = graphs
        self.teachers = teachers
        switch options.optimizer {
        case .sgd:
            optimizer = SGD(parameters: parameters, momentum: options.momentum, weightDecay: options.weightDecay,
                            trainBiases: options.trainBiases)
        case .adam:
            optimizer = Adam(parameters: parameters, beta1: options.momentum, weightDecay: options.weightDecay,
                             trainBiases: options.trainBiases)
        }
    }

    /// Runs `options.epochs` epochs over `samples`.
    ///
    /// - Parameter progress: called on the calling thread after every batch.
    public func train(on samples: some SampleSet,
                      progress: ((TrainingProgress) -> Void)? = nil) throws(TrainingError) -> [EpochSummary] {
        try Self.check(samples, fits: graphs[0])
        // Several graphs: each GEMM single-threaded so the graphs own the cores.
        return try BLAS.withThreadCount(graphs.count > 1 ? 1 : nil) { () throws(TrainingError) in
            try epochs(on: samples, progress: progress)
        }
    }

    private func epochs(on samples: some SampleSet,
                        progress: ((TrainingProgress) -> Void)?) throws(TrainingError) -> [EpochSummary] {
        var summaries: [EpochSummary] = []
        var lr = options.learningRate
        for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
            let start = ContinuousClock.now
            var order = Array(0..<samples.count)
            var shuffler = SeededGenerator(seed: options.seed, stream: 0x5348, UInt64(epoch))
            order.shuffle(using: &shuffler)
            var total = Loss.Outcome()
            var done = 0
            var batchIndex = 0
            while done < order.count {
                let batch = Array(order[done..<min(done + options.batchSize, order.count)])
                let outcome = try step(batch, samples: samples, epoch: epoch, batchIndex: batchIndex, learningRate: lr)
                guard outcome.loss.isFinite else { throw .diverged(epoch: epoch, batch: batchIndex + 1) }
                total = total + outcome
                done += batch.count
                batchIndex += 1
                progress?(TrainingProgress(epoch: epoch, epochs: options.epochs, done: done, total: order.count,
                                           loss: total.loss / Double(done), accuracy: Double(total.correct) / Double(done)))
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            summaries.append(EpochSummary(epoch: epoch, loss: total.loss / Double(done),
                                          accuracy: Double(total.correct) / Double(done), learningRate: Double(lr),
                                          seconds: seconds, imagesPerSecond: Double(done) / max(seconds, 1e-9)))
            lr *= options.learningRateDecay
        }
        return summaries
    }

    /// Checks that samples have the network's input shape and labels fit its outputs.
    static func check(_ samples: some SampleSet, fits graph: TrainingGraph) throws(TrainingError) {
        guard samples.count > 0 else { throw .dataMismatch("the data set is empty") }
        guard samples.sampleCount == graph.sampleShape.elementCount else {
            throw .dataMismatch("samples are \(samples.sampleShape.map(String.init).joined(separator: "x")), "
                                + "the network takes \(graph.sampleShape.dimensions.dropFirst().map(String.init).joined(separator: "x"))")
        }
        guard samples.classCount <= graph.classCount else {
            throw .dataMismatch("the data has \(samples.classCount) classes, the network \(graph.classCount) outputs")
        }
    }

    /// One SGD step on `batch` (sample indices).
    private func step(_ batch: [Int], samples: some SampleSet, epoch: Int, batchIndex: Int,
                      learningRate: Float) throws(TrainingError) -> Loss.Outcome {
        let share = graphs[0].capacity
        let workers = (batch.count + share - 1) / share
        let results = WorkerResults(count: workers)
        let scale = 1 / Float(batch.count)
        let seed = options.seed, augment = options.augment, loss = options.loss, dropout = options.dropout
        let graphs = self.graphs, teachers = self.teachers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let graph = graphs[w]
            let part = Array(batch[(w * share)..<min((w + 1) * share, batch.count)])
            do throws(DataError) {
                let sampleSize = graph.sampleShape.elementCount
                for (i, index) in part.enumerated() {
                    var random: SeededGenerator? = augment
                        ? SeededGenerator(seed: seed, stream: 0x4155, UInt64(epoch), UInt64(index)) : nil
                    let slot = UnsafeMutableBufferPointer(rebasing: graph.input[(i * sampleSize)..<((i + 1) * sampleSize)])
                    try samples.load(index, random: &random, into: slot)
                }
                let labels = part.map { samples.label(at: $0) }
                graph.zeroParameterGradients()
                var masks = SeededGenerator(seed: seed, stream: 0x4450, UInt64(epoch), UInt64(batchIndex), UInt64(w))
                graph.forward(count: part.count, dropoutSeed: dropout ? masks.next() : nil)
                var teacherLogits: UnsafePointer<Float>?
                if case .distillation = loss {
                    let teacher = teachers[w]
                    teacher.input.baseAddress!.update(from: graph.input.baseAddress!, count: part.count * sampleSize)
                    teacher.forward(count: part.count)
                    teacherLogits = UnsafePointer(teacher.outputs.baseAddress!)
                }
                let (sum, correct) = graph.applyLoss(loss, labels: labels, teacherLogits: teacherLogits, scale: scale)
                let outcome = Loss.Outcome(loss: sum, correct: correct)
                graph.backward(count: part.count)
                results.set(w, .success(outcome))
            } catch {
                results.set(w, .failure(error))
            }
        }
        var outcome = Loss.Outcome()
        for w in 0..<workers {
            switch results.values[w] {
            case .success(let o): outcome = outcome + o
            case .failure(let e): throw .data(e)
            case nil: preconditionFailure("worker \(w) produced nothing")
            }
        }
        // Sum the workers' gradients into the first graph's, in worker order.
        for w in 1..<max(workers, 1) {
            for (target, source) in zip(graphs[0].weightGradients + graphs[0].biasGradients,
                                        graphs[w].weightGradients + graphs[w].biasGradients) {
                addInPlace(count: target.count, source: source.baseAddress!, target: target.baseAddress!)
            }
        }
        optimizer.step(learningRate: learningRate, weightGradients: graphs[0].weightGradients,
                       biasGradients: graphs[0].biasGradients)
        return outcome
    }
}

/// Per-worker results written from concurrent workers, each to its own slot.
final class WorkerResults: @unchecked Sendable {
    private(set) var values: [Result<Loss.Outcome, DataError>?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<Loss.Outcome, DataError>) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
