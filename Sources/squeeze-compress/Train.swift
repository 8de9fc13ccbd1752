import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress train`: a small network from its definition, on MNIST digits.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network from its definition (a prototxt or an ONNX model) on MNIST CSV digits and write a dense .sqz.")

    @Option(help: ArgumentHelp("The network definition (input 1x28x28, 10 outputs).", valueName: "prototxt"))
    var prototxt: String?

    @Option(help: ArgumentHelp("An ONNX model whose network is trained from fresh weights (its own are not used).",
                               valueName: "model.onnx"))
    var onnx: String?

    @Option(help: ArgumentHelp("The digits: CSV of 784 pixels and a label per line, plain or gzipped.", valueName: "file"))
    var mnist: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The trained model to write.", valueName: "out.sqz"))
    var output: String

    @OptionGroup var training: TrainingOptionGroup

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON summary instead of text.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        guard (prototxt == nil) != (onnx == nil) else { throw ValidationError("give the network with --prototxt or --onnx") }
        try OutputPath.check(output)
    }

    func run() throws {
        let network = try onnx.map { try ModelLoader.load(weights: URL(fileURLWithPath: $0)).model.network }
            ?? CaffeDefinition.network(contentsOf: URL(fileURLWithPath: prototxt ?? ""))
        // Writing the result comes last: refuse a network whose trained model
        // could not be copied out and encoded before spending the training on it.
        let shapes = try network.inferShapes()
        var writing = SqueezeContainer.encodingEstimate(denseNetwork: network, shapes: shapes)
        writing.work = "writing the trained model"
        writing.add("the trained weights, copied out", count: shapes.parameterCount, elementBytes: 8)
        try MemoryLimit.current.check(writing)
        let (train, test) = try training.data(mnist)
        let parameters = try TrainableParameters(initializing: network, seed: training.seed)
        let options = training.options(loss: .crossEntropy, threads: threads)
        let progress = StageProgress(quiet: json)
        let observer = progress.observer
        // In a scope of its own: the trainer's graphs are freed before the
        // model is copied out and encoded, as the check above assumes.
        let epochs: [EpochSummary]
        do {
            let trainer = try Trainer(parameters: parameters, options: options)
            observer.phase("train", train.samples.count * options.epochs)
            epochs = try trainer.train(on: train.samples) { observer.training($0) }
            observer.finish()
        }
        let accuracy = try test.map { test in
            observer.phase("test", test.samples.count)
            defer { observer.finish() }
            return try Evaluator.accuracy(of: parameters, on: test.samples, threads: threads, progress: observer.advance)
        }
        let encoding = try SqueezeContainer.encode(parameters.model)
        try AtomicFile.write(Data(encoding.bytes), to: URL(fileURLWithPath: output))
        if json {
            try JSONOutput.print(TrainJSON(output: output, bytes: encoding.bytes.count, epochs: epochs, test: accuracy))
            return
        }
        print("network  \(network.name): \(parameters.weightCount) weights")
        print("data     \(train.summary)")
        for e in epochs {
            print(String(format: "epoch %2d  loss %.4f  train acc %.4f  lr %.5f  %.1f s (%.0f img/s)", e.epoch, e.loss,
                         e.accuracy, e.learningRate, e.seconds, e.imagesPerSecond))
        }
        if let test { print("test     \(test.summary): \(describe(accuracy))") }
        print("output   \(output): \(encoding.bytes.count) bytes")
    }
}

/// `train --json`.
struct TrainJSON: Encodable {
    var output: String
    var bytes: Int
    var epochs: [EpochSummary]
    var test: AccuracyResult?
}
