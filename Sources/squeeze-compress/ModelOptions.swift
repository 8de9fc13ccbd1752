import ArgumentParser
import Foundation
import SqueezeCompress

extension EngineKind: ExpressibleByArgument {
    /// The `--engine` help shared by every command that runs a network.
    static let help = ArgumentHelp(
        "The forward pass: \(EngineKind.allCases.map(\.rawValue).joined(separator: "|")) (default: compressed for .sqz, dense otherwise).",
        valueName: "engine")
}

/// The options that name a model and how to run it, shared by every command
/// that runs a network.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Caffe network definition; needed for .net and .caffemodel weights.",
                               valueName: "prototxt"))
    var prototxt: String?

    @Option(name: [.customLong("weights"), .customLong("model")],
            help: ArgumentHelp("The model: .sqz, .onnx, or a Deep-Compression .net or Caffe .caffemodel (with --prototxt).",
                               valueName: "file"))
    var weights: String

    @Option(help: EngineKind.help)
    var engine: EngineKind?

    @Option(help: "Images run at once (default: every core).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    /// Loads the model.
    func load() throws -> LoadedModel {
        try ModelLoader.load(weights: URL(fileURLWithPath: weights), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
    }

    /// The engine asked for, or the format's default.
    func engine(for loaded: LoadedModel) -> EngineKind { engine ?? EngineKind.defaultEngine(for: loaded.format) }

    /// Loads the model and compiles it for the chosen engine.
    func classifier(_ preprocessing: PreprocessingOptions) throws -> (LoadedModel, ImageClassifier) {
        let loaded = try load()
        let factory = try loaded.model.engineFactory(engine(for: loaded))
        let classifier = try ImageClassifier(factory: factory, outputIsProbability: loaded.model.network.outputIsProbability,
                                             preprocessing: preprocessing.preprocessing(for: loaded), threads: threads)
        return (loaded, classifier)
    }
}
