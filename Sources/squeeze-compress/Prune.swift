import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress prune`: magnitude pruning with optional iterative retraining.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prune small weights (quality x std per layer, or target densities), optionally retraining in steps.")

    @Argument(help: ArgumentHelp("The model (.sqz, or .net/.caffemodel with --prototxt).", valueName: "in"))
    var input: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel inputs.", valueName: "prototxt"))
    var prototxt: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The pruned container to write.", valueName: "out.sqz"))
    var output: String

    @Option(help: ArgumentHelp("Drop |w| < q x std(layer) in every layer not named otherwise.", valueName: "q"))
    var quality: Double?

    @Option(help: ArgumentHelp("Keep this fraction of all weights (one quality factor for all layers).", valueName: "d"))
    var density: Double?

    @Option(help: ArgumentHelp("Per-layer densities, e.g. ip1=0.08,ip2=0.09.", valueName: "name=d,..."))
    var layerDensity: String?

    @Option(help: ArgumentHelp("Per-layer quality factors, e.g. conv1=0.5.", valueName: "name=q,..."))
    var layerQuality: String?

    @Option(help: "Prune in this many steps, retraining after each (densities approach their targets linearly).")
    var steps: Int = 1

    @Option(help: ArgumentHelp("Retrain on this data after each step: MNIST CSV or JPEG folder.", valueName: "data"))
    var retrain: String?

    @Option(help: ArgumentHelp("Measure accuracy on this data (default: the held-out part with --holdout).", valueName: "data"))
    var eval: String?

    @OptionGroup var training: TrainingOptionGroup
    @OptionGroup var loss: RetrainLossOptions
    @OptionGroup var container: ContainerOptionGroup

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON summary instead of text.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard quality != nil || density != nil || layerDensity != nil || layerQuality != nil else {
            throw ValidationError("say how much to prune: --quality, --density, --layer-density or --layer-quality")
        }
        guard quality == nil || density == nil else { throw ValidationError("--quality and --density exclude each other") }
        if let q = quality, !(q.isFinite && q >= 0) { throw ValidationError("--quality must be a non-negative number, got \(q)") }
        if let d = density, !(d.isFinite && (0...1).contains(d)) { throw ValidationError("--density must be within 0...1, got \(d)") }
        guard (1...100).contains(steps) else { throw ValidationError("--steps must be between 1 and 100, got \(steps)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        _ = try plan()
        try OutputPath.check(output)
    }

    func plan() throws -> PruningPlan {
        var layers: [String: PruningRule] = [:]
        if let layerDensity {
            for (name, d) in try KeyValueList.parse(layerDensity, option: "--layer-density", value: { Double($0) }) {
                guard d.isFinite, (0...1).contains(d) else { throw ValidationError("--layer-density \(name)=\(d) is outside 0...1") }
                layers[name] = .density(d)
            }
        }
        if let layerQuality {
            for (name, q) in try KeyValueList.parse(layerQuality, option: "--layer-quality", value: { Double($0) }) {
                guard q.isFinite, q >= 0 else { throw ValidationError("--layer-quality \(name)=\(q) must be non-negative") }
                guard layers[name] == nil else { throw ValidationError("layer '\(name)' has both a density and a quality") }
                layers[name] = .quality(q)
            }
        }
        return PruningPlan(layers: layers, defaultRule: quality.map { .quality($0) }, overallDensity: density)
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: input), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let preprocessing = loaded.preprocessing
        let plan = try plan()
        try plan.validate(for: loaded.model)
        let retraining = try retrain.map { path in
            Retraining(data: try training.data(path, preprocessing: preprocessing).train, options: training.options(loss: loss.function, threads: threads))
        }
        let evaluation = try eval.map { try TrainingData.open($0, preprocessing: preprocessing) }
            ?? (try retrain.flatMap { try training.data($0, preprocessing: preprocessing).test })
        let progress = StageProgress(quiet: json)
        let outcome = try PruneStage.run(loaded.model, plan: plan, steps: steps, retraining: retraining, evaluation: evaluation,
                                         threads: threads, observer: progress.observer)
        let encoding = try SqueezeContainer.encode(outcome.model, metadata: container.metadata(loaded.metadata), options: container.options)
        try AtomicFile.write(Data(encoding.bytes), to: URL(fileURLWithPath: output))
        if json {
            try JSONOutput.print(PruneJSON(output: output, bytes: encoding.bytes.count, accuracyBefore: outcome.accuracyBefore,
                                           steps: outcome.steps))
            return
        }
        print("input    \(loaded.summary)")
        if let e = evaluation {
            let what = e.isLabelled ? "" : " (agreement with the input model's top-1)"
            print("eval     \(e.summary)\(what): \(describe(outcome.accuracyBefore))")
        }
        for step in outcome.steps {
            print(String(format: "step %d   %.2f%% of weights kept", step.step, 100 * step.density))
            for l in step.layers {
                print("  " + l.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %9d weights  %6.2f%% kept  threshold %.5f", l.weights,
                             100 * l.density, l.threshold))
            }
            if step.accuracyPruned != nil { print("  pruned     \(describe(step.accuracyPruned))") }
            for e in step.epochs {
                print(String(format: "  epoch %d   loss %.4f  train acc %.4f  %.1f s (%.1f img/s)", e.epoch, e.loss, e.accuracy,
                             e.seconds, e.imagesPerSecond))
            }
            if step.accuracyRetrained != nil { print("  retrained  \(describe(step.accuracyRetrained))") }
        }
        print("output   \(output): \(encoding.bytes.count) bytes (\(container.options.codec.rawValue))")
    }
}

/// `prune --json`.
struct PruneJSON: Encodable {
    var output: String
    var bytes: Int
    var accuracyBefore: AccuracyResult?
    var steps: [PruneStage.Step]
}
