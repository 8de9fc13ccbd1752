import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress evaluate`: top-1 and top-5 accuracy on a labelled folder.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure top-1/top-5 accuracy on every <synset>_*.JPEG in a folder, or on MNIST digits (--mnist).")

    @OptionGroup var model: ModelOptions

    @OptionGroup(title: "Preprocessing (default: from the model's metadata, else Caffe ImageNet)") var input: PreprocessingOptions

    @Option(help: ArgumentHelp("Class list, one synset per line in class-index order (default: DIR/synsets.txt).",
                               valueName: "file"))
    var synsets: String?

    @Flag(help: "Print one JSON object {images, top1, top5, seconds} instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Also write each image's top-5 classes as TSV.", valueName: "file"))
    var predictions: String?

    @Argument(help: ArgumentHelp("The image folder.", valueName: "dir"))
    var directory: String?

    @Option(help: ArgumentHelp("Evaluate on MNIST digits instead: CSV of 784 pixels and a label per line, plain or gzipped.",
                               valueName: "file"))
    var mnist: String?

    @Option(help: ArgumentHelp("With --mnist: use only the held-out part of a hold-out-every-k split (as train --holdout k).",
                               valueName: "k"))
    var holdout: Int = 0

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard (directory == nil) != (mnist == nil) else {
            throw ValidationError("give either an image folder or --mnist FILE")
        }
        guard holdout == 0 || (2...1000).contains(holdout) else {
            throw ValidationError("--holdout must be 0 or between 2 and 1000, got \(holdout)")
        }
        guard holdout == 0 || mnist != nil else { throw ValidationError("--holdout applies to --mnist only") }
    }

    func run() throws {
        if let mnist { return try runDigits(mnist) }
        guard let directory else { return }
        let folder = URL(fileURLWithPath: directory)
        let synsetsURL = synsets.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("synsets.txt")
        let classes = try Synsets(contentsOf: synsetsURL)
        let set = try LabeledImageSet(directory: folder, synsets: classes)
        let (loaded, classifier) = try model.classifier(input)
        guard classifier.classCount == classes.count else {
            throw ClassificationError.classCount(network: classifier.classCount, synsets: classes.count)
        }
        let bar = ProgressBar("evaluate", total: set.count)
        let result = try classifier.evaluate(set) { done, hits in
            bar.update(done, status: String(format: "top-1 %.3f", Double(hits) / Double(max(done, 1))))
        }
        bar.finish()
        if let predictions {
            try AtomicFile.write(Data(result.predictionsTSV.utf8), to: URL(fileURLWithPath: predictions))
        }
        if json {
            try JSONOutput.print(EvaluateJSON(images: result.images.count, top1: result.top1, top5: result.top5,
                                              seconds: (result.seconds * 1000).rounded() / 1000))
            return
        }
        let n = result.images.count
        print("model   \(loaded.summary), \(model.engine(for: loaded).rawValue) engine, \(classifier.threads) thread(s)")
        print(String(format: "top-1   %.4f  (%d/%d)", result.top1, result.top1Hits, n))
        print(String(format: "top-5   %.4f  (%d/%d)", result.top5, result.top5Hits, n))
        print(String(format: "time    %.2f s  (%.1f images/s)", result.seconds, Double(n) / result.seconds))
    }
}

extension Evaluate {
    /// Digits run through the training graph's forward pass (the networks are small).
    private func runDigits(_ path: String) throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: model.weights),
                                          prototxt: model.prototxt.map { URL(fileURLWithPath: $0) })
        let data = try TrainingData.open(path, holdout: holdout, split: holdout >= 2 ? .test : .all)
        let parameters = try TrainableParameters(model: loaded.model, target: .weights)
        let bar = ProgressBar("evaluate", total: data.samples.count, quiet: json)
        let result = try Evaluator.accuracy(of: parameters, on: data.samples, threads: model.threads) { bar.update($0) }
        bar.finish()
        if json {
            try JSONOutput.print(EvaluateJSON(images: result.samples, top1: result.top1, top5: result.top5,
                                              seconds: (result.seconds * 1000).rounded() / 1000))
            return
        }
        print("model   \(loaded.summary)")
        print("data    \(data.summary)")
        print(String(format: "top-1   %.4f  (%d/%d)", result.top1, result.top1Hits, result.samples))
        print(String(format: "top-5   %.4f  (%d/%d)", result.top5, result.top5Hits, result.samples))
        print(String(format: "time    %.2f s  (%.0f samples/s)", result.seconds, Double(result.samples) / result.seconds))
    }
}

/// `evaluate --json`.
struct EvaluateJSON: Encodable {
    var images: Int
    var top1: Double
    var top5: Double
    var seconds: Double
}
