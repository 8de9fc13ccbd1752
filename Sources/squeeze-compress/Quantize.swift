import ArgumentParser
import Foundation
import SqueezeCompress

extension CentroidInitialization: ExpressibleByArgument {}

/// `squeeze-compress quantize`: k-means weight sharing and centroid fine-tuning.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Share weights by k-means (2^B centroids per layer) and fine-tune the centroids.")

    @Argument(help: ArgumentHelp("The model (.sqz, or .net/.caffemodel with --prototxt).", valueName: "in"))
    var input: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel inputs.", valueName: "prototxt"))
    var prototxt: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The quantized container to write.", valueName: "out.sqz"))
    var output: String

    @Option(help: ArgumentHelp("Bits for convolution and fully connected layers, e.g. conv=8,fc=5.", valueName: "conv=B,fc=B"))
    var bits: String?

    @Option(help: ArgumentHelp("Bits for named layers, e.g. conv1=8,ip1=5.", valueName: "name=B,..."))
    var layerBits: String?

    @Option(name: .customLong("init"), help: "Centroid initialisation: linear (the paper's best), density or random.")
    var initialization: CentroidInitialization = .linear

    @Option(help: ArgumentHelp("Fine-tune the centroids on this data: MNIST CSV or JPEG folder.", valueName: "data"))
    var finetune: String?

    @Option(name: .customLong("bias-correction"), help: ArgumentHelp(
        "After k-means, correct each layer's bias for the mean error its shared weights cause, measured on these unlabelled images (calibration).",
        valueName: "dir"))
    var biasCorrection: String?

    @Option(name: .customLong("bias-images"), help: "Images bias correction averages over.")
    var biasImages = 256

    @Option(help: ArgumentHelp("Measure accuracy on this data (default: the held-out part with --holdout).", valueName: "data"))
    var eval: String?

    @Option(help: ArgumentHelp("Draw each layer's weight histogram with the centroids before and after fine-tuning.",
                               valueName: "file.svg"))
    var svg: String?

    @OptionGroup var training: TrainingOptionGroup
    @OptionGroup var loss: RetrainLossOptions
    @OptionGroup var container: ContainerOptionGroup

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON summary instead of text.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard bits != nil || layerBits != nil else { throw ValidationError("say how many bits: --bits conv=B,fc=B or --layer-bits") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        _ = try plan()
        try OutputPath.check(output)
        if let svg { try OutputPath.check(svg, option: "--svg") }
    }

    func plan() throws -> QuantizationPlan {
        func checked(_ text: String, _ option: String) throws -> [String: Int] {
            let map = try KeyValueList.parse(text, option: option, value: { Int($0) })
            for (name, b) in map where !(1...16).contains(b) {
                throw ValidationError("\(option) \(name)=\(b): bits must be within 1...16")
            }
            return map
        }
        var plan = QuantizationPlan()
        if let bits {
            let map = try checked(bits, "--bits")
            if let bad = map.keys.sorted().first(where: { $0 != "conv" && $0 != "fc" }) {
                throw ValidationError("--bits takes conv=B and fc=B, not '\(bad)' (use --layer-bits for layers)")
            }
            plan.convolutionBits = map["conv"]
            plan.fullyConnectedBits = map["fc"]
        }
        if let layerBits { plan.layers = try checked(layerBits, "--layer-bits") }
        return plan
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: input), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let preprocessing = loaded.preprocessing
        let plan = try plan()
        _ = try plan.bits(for: loaded.model)
        let finetuning = try finetune.map { path in
            Retraining(data: try training.data(path, preprocessing: preprocessing).train, options: training.options(loss: loss.function, threads: threads))
        }
        let evaluation = try eval.map { try TrainingData.open($0, preprocessing: preprocessing) }
            ?? (try finetune.flatMap { try training.data($0, preprocessing: preprocessing).test })
        let progress = StageProgress(quiet: json)
        guard biasImages >= 1 else { throw ValidationError("--bias-images must be at least 1") }
        let correction = try biasCorrection.map { try TrainingData.open($0, preprocessing: preprocessing) }
        let outcome = try QuantizeStage.run(loaded.model, plan: plan, initialization: initialization, seed: training.seed,
                                            biasCorrection: correction, biasImages: biasImages,
                                            finetune: finetuning, evaluation: evaluation, threads: threads,
                                            observer: progress.observer)
        let before = try SqueezeContainer.encode(outcome.quantized, options: container.options).bytes.count
        let encoding = try SqueezeContainer.encode(outcome.model, metadata: container.metadata(loaded.metadata), options: container.options)
        if let svg {
            let panels = outcome.layers.map { layer in
                HistogramPanel(title: "\(layer.name) (\(layer.bits) bits)",
                               values: loaded.model.parameters[layer.name]?.weights.denseValues().filter { $0 != 0 } ?? [],
                               markers: [outcome.centroidsBefore[layer.name] ?? [], outcome.centroidsAfter[layer.name] ?? []],
                               markerLabels: ["centroids after k-means", "after fine-tuning"])
            }
            try AtomicFile.write(Data(SVGChart.histograms(panels).utf8), to: URL(fileURLWithPath: svg))
        }
        try AtomicFile.write(Data(encoding.bytes), to: URL(fileURLWithPath: output))
        if json {
            try JSONOutput.print(QuantizeJSON(
                output: output, bytes: encoding.bytes.count, bytesBeforeFinetune: before, layers: outcome.layers,
                accuracyInput: outcome.accuracyInput, accuracyQuantized: outcome.accuracyQuantized,
                accuracyFinetuned: outcome.accuracyFinetuned, epochs: outcome.epochs, biasCorrections: outcome.biasCorrections))
            return
        }
        print("input      \(loaded.summary)")
        for l in outcome.layers {
            print("  " + l.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %2d bits  %8d weights clustered  %5d centroids  %3d iterations",
                         l.bits, l.clustered, l.centroids, l.iterations))
        }
        if !outcome.biasCorrections.isEmpty {
            let largest = outcome.biasCorrections.max { $0.largestShift < $1.largestShift }!
            print("bias       corrected in \(outcome.biasCorrections.count) layers (largest shift \(largest.largestShift) in \(largest.name))")
        }
        if let e = evaluation {
            print("eval       \(e.summary)\(e.isLabelled ? "" : "; top-1/top-5: agreement with the input model's top-1")")
            print("  input      \(describe(outcome.accuracyInput))")
            print("  quantized  \(describe(outcome.accuracyQuantized))")
        }
        for e in outcome.epochs {
            print(String(format: "  epoch %d    loss %.4f  train acc %.4f  %.1f s (%.1f img/s)", e.epoch, e.loss, e.accuracy,
                         e.seconds, e.imagesPerSecond))
        }
        if outcome.accuracyFinetuned != nil { print("  fine-tuned \(describe(outcome.accuracyFinetuned))") }
        print("output     \(output): \(encoding.bytes.count) bytes (\(container.options.codec.rawValue)); \(before) before fine-tuning")
    }
}

/// `quantize --json`.
struct QuantizeJSON: Encodable {
    var output: String
    var bytes: Int
    var bytesBeforeFinetune: Int
    var layers: [Quantizer.LayerResult]
    var accuracyInput: AccuracyResult?
    var accuracyQuantized: AccuracyResult?
    var accuracyFinetuned: AccuracyResult?
    var epochs: [EpochSummary]
    var biasCorrections: [BiasCorrection.LayerResult]
}
