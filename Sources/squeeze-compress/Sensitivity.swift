import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress sensitivity`: accuracy against density, one layer at a time.
struct Sensitivity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prune each layer alone to several densities and measure accuracy (no retraining).")

    @Argument(help: ArgumentHelp("The model (.sqz, or .net/.caffemodel with --prototxt).", valueName: "model"))
    var model: String

    @Argument(help: ArgumentHelp("The data: MNIST CSV or JPEG folder.", valueName: "data"))
    var data: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel models.", valueName: "prototxt"))
    var prototxt: String?

    @Option(help: ArgumentHelp("Densities to try.", valueName: "d,d,..."))
    var densities: String = "0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.2,0.1,0.05"

    @Option(help: ArgumentHelp("Only these layers (default: every layer with weights).", valueName: "name,..."))
    var layers: String?

    @Option(help: "Use at most this many samples, spread evenly over the data.")
    var limit: Int?

    @Option(help: ArgumentHelp("Use the held-out part of a --holdout k split.", valueName: "k"))
    var holdout: Int = 0

    @Option(help: ArgumentHelp("Plot accuracy against density per layer.", valueName: "file.svg"))
    var svg: String?

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        _ = try densityList()
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        guard holdout == 0 || (2...1000).contains(holdout) else { throw ValidationError("--holdout must be 0 or 2...1000") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
        if let svg { try OutputPath.check(svg, option: "--svg") }
    }

    func densityList() throws -> [Double] {
        let values = densities.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw ValidationError("--densities must be numbers, e.g. 0.9,0.5") }
        for case let d? in values where !(d.isFinite && (0...1).contains(d)) {
            throw ValidationError("--densities: \(d) is outside 0...1")
        }
        return values.compactMap { $0 }
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: model), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let set = try TrainingData.open(data, holdout: holdout, split: holdout >= 2 ? .test : .all, limit: limit,
                                        preprocessing: loaded.preprocessing)
        let names = layers.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let progress = StageProgress(quiet: json)
        let outcome = try SensitivityStage.run(loaded.model, data: set, densities: try densityList(), layers: names,
                                               threads: threads, observer: progress.observer)
        if let svg {
            let series = outcome.curves.map { LineSeries(name: $0.layer, xs: $0.densities.map { $0 * 100 }, ys: $0.top1.map { $0 * 100 }) }
            let chart = SVGChart.lines(title: "Pruning sensitivity of \(loaded.model.network.name) (\(outcome.samples) samples)",
                                       xLabel: "weights kept in the layer (%)", yLabel: "top-1 accuracy (%)", series: series)
            try AtomicFile.write(Data(chart.utf8), to: URL(fileURLWithPath: svg))
        }
        if json {
            try JSONOutput.print(outcome)
            return
        }
        print("model     \(loaded.summary)")
        print("data      \(set.summary)")
        print(String(format: "baseline  top-1 %.4f  top-5 %.4f", outcome.baselineTop1, outcome.baselineTop5))
        let header = ["layer"] + (outcome.curves.first?.densities ?? []).map { String(format: "%g%%", $0 * 100) }
        var rows = [header]
        for c in outcome.curves { rows.append([c.layer] + c.top1.map { String(format: "%.3f", $0) }) }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        print("top-1 accuracy with one layer pruned to each density:")
        for row in rows {
            print(row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  "))
        }
    }
}
