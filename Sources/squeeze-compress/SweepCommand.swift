import ArgumentParser
import Foundation
import SqueezeCompress

extension LayerCompressor.Method: ExpressibleByArgument {}

/// `squeeze-compress sweep`: accuracy against bytes for several budgets and methods.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Compress to several byte budgets with each method; tabulate and plot evaluation top-1 against bytes.",
        discussion: """
        Every point is a whole `compress` run learning only from the calibration images; the evaluation images \
        only measure. With --epochs, each budget gives two points: before and after centroid fine-tuning.
        """)

    @Argument(help: ArgumentHelp("The model (.sqz, .onnx, or .net/.caffemodel with --prototxt).", valueName: "in"))
    var input: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel inputs.", valueName: "prototxt"))
    var prototxt: String?

    @OptionGroup var learning: CalibrationOptionGroup

    @Option(help: ArgumentHelp("Labelled images that measure each point (a folder with synsets.txt, or MNIST CSV).", valueName: "data"))
    var eval: String

    @Option(help: ArgumentHelp("Byte budgets, e.g. 400000,500000,600000.", valueName: "n,n,..."))
    var budgets: String

    @Option(help: ArgumentHelp("Methods: output-aware, magnitude.", valueName: "m,m"))
    var methods = "output-aware,magnitude"

    @Option(help: ArgumentHelp("Write the plot here.", valueName: "file.svg"))
    var svg: String?

    @Option(help: ArgumentHelp("Write the table here as tab-separated values.", valueName: "file.tsv"))
    var table: String?

    @OptionGroup var container: ContainerOptionGroup

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON summary instead of text.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        _ = try budgetList()
        _ = try methodList()
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        if let svg { try OutputPath.check(svg, option: "--svg") }
        if let table { try OutputPath.check(table, option: "--table") }
    }

    func budgetList() throws -> [Int] {
        let list = try budgets.split(separator: ",").map { text -> Int in
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)), v > 0 else {
                throw ValidationError("--budgets: '\(text)' is not a positive byte count")
            }
            return v
        }
        guard !list.isEmpty else { throw ValidationError("--budgets is empty") }
        return list
    }

    func methodList() throws -> [LayerCompressor.Method] {
        try methods.split(separator: ",").map { text -> LayerCompressor.Method in
            guard let m = LayerCompressor.Method(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--methods: '\(text)' is not output-aware or magnitude")
            }
            return m
        }
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: input), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let preprocessing = loaded.preprocessing
        let (train, held) = try learning.data(preprocessing)
        let evaluation = try TrainingData.open(eval, preprocessing: preprocessing)
        guard evaluation.isLabelled else { throw ValidationError("--eval needs labelled images (a folder with synsets.txt)") }
        var options = try learning.pipelineOptions(finetuningOn: train, threads: threads)
        options.container = container.options
        options.metadata = container.metadata(loaded.metadata)
        let progress = StageProgress(quiet: json)
        let teacher = try Evaluator.accuracy(of: TrainableParameters(model: loaded.model, target: .weights), on: evaluation.samples,
                                             threads: threads)
        if !json { print("method           fine-tuned  budget      bytes   top-1   top-5   held KL  agreement") }
        let points = try Sweep.run(loaded.model, calibration: train, held: held, evaluation: evaluation, budgets: try budgetList(),
                                   methods: try methodList(), options: options, threads: threads, observer: progress.observer) { p in
            guard !json else { return }
            print(p.method.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: " %-10@ %7d %10d  %.3f   %.3f   %.4f   %.3f", p.finetuned ? "yes" : "no", p.budget, p.bytes,
                           p.top1, p.top5, p.divergence, p.agreement))
        }
        if let svg {
            let chart = Sweep.plot(points, title: "\(loaded.summary.split(separator: " ").first ?? "model"): top-1 on \(evaluation.samples.count) images against bytes",
                                   teacherTop1: teacher.top1)
            try AtomicFile.write(Data(chart.utf8), to: URL(fileURLWithPath: svg))
        }
        if let table {
            var text = "method\tfinetuned\tbudget\tbytes\ttop1\ttop5\theld_kl\theld_agreement\n"
            for p in points {
                text += "\(p.method)\t\(p.finetuned)\t\(p.budget)\t\(p.bytes)\t\(p.top1)\t\(p.top5)\t\(p.divergence)\t\(p.agreement)\n"
            }
            try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: table))
        }
        if json {
            try JSONOutput.print(SweepJSON(teacherTop1: teacher.top1, teacherTop5: teacher.top5, points: points))
        } else {
            print(String(format: "uncompressed: top-1 %.3f, top-5 %.3f", teacher.top1, teacher.top5))
        }
    }
}

/// `sweep --json`.
struct SweepJSON: Encodable {
    var teacherTop1: Double
    var teacherTop5: Double
    var points: [Sweep.Point]
}
