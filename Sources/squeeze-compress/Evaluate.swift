import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress evaluate`: top-1 and top-5 accuracy on a labelled folder.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure top-1/top-5 accuracy on every <synset>_*.JPEG in a folder.")

    @OptionGroup var model: ModelOptions

    @Option(help: ArgumentHelp("Class list, one synset per line in class-index order (default: DIR/synsets.txt).",
                               valueName: "file"))
    var synsets: String?

    @Flag(help: "Print one JSON object {images, top1, top5, seconds} instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Also write each image's top-5 classes as TSV.", valueName: "file"))
    var predictions: String?

    @Argument(help: ArgumentHelp("The image folder.", valueName: "dir"))
    var directory: String

    func run() throws {
        let folder = URL(fileURLWithPath: directory)
        let synsetsURL = synsets.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("synsets.txt")
        let classes = try Synsets(contentsOf: synsetsURL)
        let set = try LabeledImageSet(directory: folder, synsets: classes)
        let (loaded, classifier) = try model.classifier()
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
        print("model   \(loaded.summary), \(model.engine.rawValue) engine, \(classifier.threads) thread(s)")
        print(String(format: "top-1   %.4f  (%d/%d)", result.top1, result.top1Hits, n))
        print(String(format: "top-5   %.4f  (%d/%d)", result.top5, result.top5Hits, n))
        print(String(format: "time    %.2f s  (%.1f images/s)", result.seconds, Double(n) / result.seconds))
    }
}

/// `evaluate --json`.
struct EvaluateJSON: Encodable {
    var images: Int
    var top1: Double
    var top5: Double
    var seconds: Double
}
