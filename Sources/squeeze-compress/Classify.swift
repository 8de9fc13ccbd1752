import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress classify`: the most likely classes of each image.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the top classes, with probabilities, of each image.")

    @OptionGroup var model: ModelOptions

    @OptionGroup(title: "Preprocessing (default: from the model's metadata, else Caffe ImageNet)") var input: PreprocessingOptions

    @Option(help: ArgumentHelp("Class names, one synset per line (default: synsets.txt beside the first image).",
                               valueName: "file"))
    var synsets: String?

    @Option(help: "How many classes to print per image.")
    var top: Int = 5

    @Flag(help: "Print one JSON array instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("JPEG images.", valueName: "image"))
    var images: [String]

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let files = images.map { URL(fileURLWithPath: $0) }
        let names = try ClassNames.load(explicit: synsets, besides: files[0])
        let (_, classifier) = try model.classifier(input)
        let bar = ProgressBar("classify", total: files.count, quiet: files.count < 8)
        let results = try classifier.classify(files, top: top) { bar.update($0) }
        bar.finish()
        if json {
            let objects = zip(images, results).map { file, predictions in
                ClassifyJSON(file: file, top: predictions.map { p in
                    .init(class: p.classIndex, synset: names?.id(p.classIndex), name: names?.name(p.classIndex),
                          probability: p.probability)
                })
            }
            try JSONOutput.print(objects)
            return
        }
        for (file, predictions) in zip(images, results) {
            print(file)
            for (rank, p) in predictions.enumerated() {
                let label = names?.label(p.classIndex) ?? "class \(p.classIndex)"
                print(String(format: "  %d. %6.2f%%  %@", rank + 1, 100 * Double(p.probability), label))
            }
        }
    }
}

/// `classify --json`: one object per image.
struct ClassifyJSON: Encodable {
    struct Entry: Encodable {
        var `class`: Int
        var synset: String?
        var name: String?
        var probability: Float
    }

    var file: String
    var top: [Entry]
}
