import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress report`: the per-layer compression table and totals.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-layer sizes and ratios of a model, its entropy bound, zstd's figure, and the ratio against AlexNet.")

    @Argument(help: ArgumentHelp("The model (.sqz, or .net/.caffemodel with --prototxt).", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel models.", valueName: "prototxt"))
    var prototxt: String?

    @Option(help: ArgumentHelp("AlexNet's deploy prototxt, for the 'x times smaller than AlexNet' figure.", valueName: "prototxt"))
    var alexnet: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        let url = URL(fileURLWithPath: model)
        let loaded = try ModelLoader.load(weights: url, prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let alexNetwork = try alexnet.map { try CaffeDefinition.network(contentsOf: URL(fileURLWithPath: $0)) }
        let fileBytes = loaded.format == .squeeze
            ? (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil : nil
        let report = try CompressionReport(model: loaded.model, containerBytes: fileBytes, alexnet: alexNetwork)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
            return
        }
        print(TextTable.render(report))
    }
}

/// The report as an aligned text table.
enum TextTable {
    static func render(_ r: CompressionReport) -> String {
        func millions(_ n: Int) -> String { String(format: "%.1fM", Double(n) / 1e6) }
        var rows: [[String]] = [["layer", "params", "weights", "non-zero", "MACs", "kept MACs", "index bits", "weight bits",
                                 "bytes", "ratio"]]
        for l in r.layers {
            rows.append([l.name, "\(l.parameters)", "\(l.weights)", String(format: "%.1f%%", l.nonZeroPercent),
                         millions(l.multiplyAccumulates), millions(l.keptMultiplyAccumulates), l.indexBits.map(String.init) ?? "-",
                         "\(l.weightBits)", "\(l.bytes)", String(format: "%.1fx", l.compressionRatio)])
        }
        let weights = r.layers.reduce(0) { $0 + $1.weights }, nonZero = r.layers.reduce(0) { $0 + $1.nonZero }
        rows.append(["total", "\(r.layers.reduce(0) { $0 + $1.parameters })", "\(weights)",
                     String(format: "%.1f%%", 100 * Double(nonZero) / Double(max(weights, 1))),
                     millions(r.layers.reduce(0) { $0 + $1.multiplyAccumulates }),
                     millions(r.layers.reduce(0) { $0 + $1.keptMultiplyAccumulates }), "", "",
                     "\(r.layers.reduce(0) { $0 + $1.bytes })", ""])
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: lines[0].count), at: 1)
        lines.insert(String(repeating: "-", count: lines[0].count), at: lines.count - 1)
        lines.append("")
        lines.append("container        \(r.containerBytes) bytes")
        lines.append(String(format: "dense float32    %d bytes  (%.1fx larger)", r.denseBytes, r.ratio))
        lines.append(String(format: "entropy bound    %d bytes  (Huffman is %.1f%% above)", r.entropyBoundBytes,
                            100 * (Double(r.containerBytes) / Double(r.entropyBoundBytes) - 1)))
        lines.append("zstd -19         \(r.zstdBytes) bytes  (same streams)")
        lines.append("no entropy code  \(r.rawBytes) bytes")
        lines.append(String(format: "MACs per image   %.1fM with every weight, %.1fM over the kept weights (all layers)",
                            Double(r.multiplyAccumulates) / 1e6, Double(r.keptMultiplyAccumulates) / 1e6))
        if let alex = r.alexnetDenseBytes, let x = r.ratioVsAlexnet {
            lines.append(String(format: "AlexNet float32  %d bytes  (this model is %.1fx smaller)", alex, x))
            if let p = r.alexnetParameters, let m = r.alexnetMultiplyAccumulates {
                lines.append(String(format: "AlexNet          %d parameters, %.1fM MACs per image (this model: %.1fx fewer parameters; "
                                    + "%.2fx AlexNet's MACs, %.2fx over the kept weights)",
                                    p, Double(m) / 1e6, Double(p) / Double(max(r.layers.reduce(0) { $0 + $1.parameters }, 1)),
                                    Double(r.multiplyAccumulates) / Double(max(m, 1)), Double(r.keptMultiplyAccumulates) / Double(max(m, 1))))
            }
        }
        return lines.joined(separator: "\n")
    }
}
