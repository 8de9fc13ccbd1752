import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress compress`: the whole pipeline from unlabelled calibration images.
struct Compress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prune, weight-share and encode a model to a byte budget, learning only from unlabelled calibration images.",
        discussion: """
        The input model is the teacher. Every layer's sensitivity (KL divergence to the teacher on a held-back \
        calibration split) is measured against density and bits; the densities and bits that fit the budget with \
        the least total damage are chosen; each layer is then pruned and weight-shared to keep its output close to \
        the teacher's (output-aware, with least-squares centroids), front to back; the centroids are optionally \
        fine-tuned by distillation, keeping the epoch closest to the teacher on the held-back split.
        """)

    @Argument(help: ArgumentHelp("The model (.sqz, .onnx, or .net/.caffemodel with --prototxt).", valueName: "in"))
    var input: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel inputs.", valueName: "prototxt"))
    var prototxt: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The compressed container to write.", valueName: "out.sqz"))
    var output: String

    @OptionGroup var learning: CalibrationOptionGroup

    @Option(help: ArgumentHelp("The whole file at most this many bytes.", valueName: "n"))
    var targetBytes: Int?

    @Option(help: ArgumentHelp("The whole file at most the dense float32 weights' bytes divided by this.", valueName: "r"))
    var targetRatio: Double?

    @Option(help: ArgumentHelp("The smallest model whose top-1 disagrees with the teacher's on at most this percentage of the held-back images.",
                               valueName: "p"))
    var maxDisagreement: Double?

    @Option(help: ArgumentHelp("A fixed plan instead of a budget: the density of every layer.", valueName: "d"))
    var density: Double?

    @Option(help: ArgumentHelp("A fixed plan: the bits of every layer.", valueName: "b"))
    var bits: Int?

    @Option(help: ArgumentHelp("A fixed plan: per-layer densities and bits, e.g. conv1=1:8,fire2/squeeze1x1=0.5:6.",
                               valueName: "name=d:b,..."))
    var layers: String?

    @Option(help: ArgumentHelp("Write the sensitivity curves and the choices as JSON here.", valueName: "file.json"))
    var curves: String?

    @Option(help: ArgumentHelp("Reuse the sensitivity curves a --curves file of an earlier run on the same model holds.",
                               valueName: "file.json"))
    var reuseCurves: String?

    @OptionGroup var container: ContainerOptionGroup

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON summary instead of text.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        let budgets = [targetBytes != nil, targetRatio != nil, maxDisagreement != nil, density != nil || bits != nil || layers != nil]
        guard budgets.filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --target-bytes, --target-ratio, --max-disagreement, or a plan (--density/--bits/--layers)")
        }
        if let n = targetBytes, n <= 0 { throw ValidationError("--target-bytes must be positive, got \(n)") }
        if let r = targetRatio, !(r.isFinite && r >= 1) { throw ValidationError("--target-ratio must be at least 1, got \(r)") }
        if let p = maxDisagreement, !(p.isFinite && (0...100).contains(p)) {
            throw ValidationError("--max-disagreement must be a percentage within 0...100, got \(p)")
        }
        if let d = density, !(d.isFinite && d > 0 && d <= 1) { throw ValidationError("--density must be within (0, 1], got \(d)") }
        if let b = bits, !(1...16).contains(b) { throw ValidationError("--bits must be within 1...16, got \(b)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        _ = try fixedLayers()
        try OutputPath.check(output)
        if let curves { try OutputPath.check(curves, option: "--curves") }
    }

    func fixedLayers() throws -> [String: LayerCompressor.Options] {
        guard let layers else { return [:] }
        return try KeyValueList.parse(layers, option: "--layers") { text -> LayerCompressor.Options? in
            let parts = text.split(separator: ":")
            guard parts.count == 2, let d = Double(parts[0]), d.isFinite, d > 0, d <= 1, let b = Int(parts[1]), (1...16).contains(b)
            else { return nil }
            return learning.layerOptions(density: d, bits: b)
        }
    }

    func budget(for model: Model) throws -> CompressPipeline.Budget {
        if let targetBytes { return .bytes(targetBytes) }
        if let targetRatio { return .ratio(targetRatio) }
        if let maxDisagreement { return .maxDisagreement(maxDisagreement / 100) }
        var plan: [String: LayerCompressor.Options] = [:]
        for layer in model.network.weightedLayers where density != nil || bits != nil {
            plan[layer.name] = learning.layerOptions(density: density ?? 1, bits: bits)
        }
        let known = Set(model.network.weightedLayers.map(\.name))
        for (name, options) in try fixedLayers() {
            guard known.contains(name) else { throw ValidationError("--layers: no weighted layer '\(name)'") }
            plan[name] = options
        }
        return .plan(plan)
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: input), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let preprocessing = loaded.preprocessing
        let (train, held) = try learning.data(preprocessing)
        let budget = try budget(for: loaded.model)
        var options = try learning.pipelineOptions(finetuningOn: train, threads: threads)
        options.container = container.options
        options.metadata = container.metadata(loaded.metadata)
        if let reuseCurves {
            options.curves = try SavedCurves.read(reuseCurves, for: loaded.model)
        }
        let progress = StageProgress(quiet: json)
        let started = Date()
        let outcome = try CompressPipeline.run(loaded.model, calibration: train, held: held, budget: budget, options: options,
                                               threads: threads, observer: progress.observer)
        try AtomicFile.write(Data(outcome.encoding.bytes), to: URL(fileURLWithPath: output))
        let summary = CompressJSON(outcome, output: output, seconds: Date().timeIntervalSince(started), model: outcome.model)
        if let curves { try AtomicFile.write(try JSONOutput.encode(summary), to: URL(fileURLWithPath: curves)) }
        if json {
            try JSONOutput.print(summary)
            return
        }
        print("input       \(loaded.summary)")
        print("calibration \(train.summary); held back \(held.summary)")
        print("layer                       kept  codes   bytes   rel. error")
        for layer in outcome.layers {
            let bytes = outcome.encoding.layers.first { $0.name == layer.name }?.sectionBytes ?? 0
            print(layer.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                  + String(format: " %6.1f%%  %4@  %7d   %.4f", 100 * layer.density, layer.centroids.map(String.init) ?? "-", bytes, layer.relativeError))
        }
        let r = outcome.reconstructed
        print(String(format: "held back   after reconstruction: KL %.4f, top-1 agreement %.3f, top-5 %.3f (%d images)",
                     r.divergence, r.agreement, r.agreementTop5, r.images))
        for (k, m) in outcome.finetuned.enumerated() {
            print(String(format: "  epoch %d   KL %.4f, top-1 agreement %.3f, top-5 %.3f", k + 1, m.divergence, m.agreement, m.agreementTop5))
        }
        print("output      \(output): \(outcome.encoding.bytes.count) bytes (\(String(format: "%.1f", Double(summary.denseBytes) / Double(outcome.encoding.bytes.count)))x smaller than dense float32) in \(String(format: "%.0f", summary.seconds)) s")
    }
}

/// `compress --json` (and `--curves`).
struct CompressJSON: Encodable {
    var output: String
    var bytes: Int
    var denseBytes: Int
    var seconds: Double
    var layers: [ReconstructionStage.LayerResult]
    var choices: [String: Allocation.Point]
    var reconstructed: TeacherAgreement.Measurement
    var finetuned: [TeacherAgreement.Measurement]
    var curves: [Allocation.Curve]

    init(_ o: CompressPipeline.Outcome, output: String, seconds: Double, model: Model) {
        self.output = output
        bytes = o.encoding.bytes.count
        denseBytes = model.parameters.values.reduce(0) { $0 + 4 * ($1.weights.elementCount + $1.bias.count) }
        self.seconds = seconds
        layers = o.layers
        choices = o.choices
        reconstructed = o.reconstructed
        finetuned = o.finetuned
        curves = o.curves
    }
}

/// The sensitivity curves of a `--curves` file, for `--reuse-curves`.
struct SavedCurves: Decodable {
    var curves: [Allocation.Curve]

    static func read(_ path: String, for model: Model) throws -> [Allocation.Curve] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("--reuse-curves: cannot read \(path)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let saved = try? decoder.decode(SavedCurves.self, from: data), !saved.curves.isEmpty else {
            throw ValidationError("--reuse-curves: \(path) holds no sensitivity curves")
        }
        let names = model.network.weightedLayers.map(\.name)
        guard saved.curves.map(\.layer) == names, saved.curves.allSatisfy({ !$0.points.isEmpty }) else {
            throw ValidationError("--reuse-curves: the curves in \(path) are for other layers than this model's")
        }
        return saved.curves
    }
}
