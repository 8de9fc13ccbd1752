import ArgumentParser

/// `squeeze-compress`: Deep Compression for CNNs, from the command line.
@main
struct SqueezeCompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "squeeze-compress",
        abstract: "Prune, weight-share and Huffman-code CNNs; run them from the compressed form.",
        version: "0.1.0",
        subcommands: [Import.self, Encode.self, Decode.self, Report.self, Train.self, Prune.self, Quantize.self,
                      Sensitivity.self, Compress.self, SweepCommand.self, Classify.self, Evaluate.self, Bench.self, Export.self, Run.self]
    )
}
