import ArgumentParser
import SqueezeCompress

extension EntropyCodec: ExpressibleByArgument {}

/// How to write a `.sqz`: the entropy coder and relative-index widths.
struct ContainerOptionGroup: ParsableArguments {
    @Option(help: "Entropy coder for codebook and relative indices: \(EntropyCodec.allCases.map(\.rawValue).joined(separator: "|")) (default: huffman; raw for decode).")
    var codec: EntropyCodec?

    @Option(help: "Bits per relative index in convolution layers (1...16).")
    var convIndexBits: Int = 8

    @Option(help: "Bits per relative index in fully connected layers (1...16).")
    var fcIndexBits: Int = 5

    @Flag(help: "Write no metadata (preprocessing, labels, source and history): the smallest file.")
    var stripMetadata = false

    /// The metadata to write: `metadata`, or none with `--strip-metadata`.
    func metadata(_ metadata: ContainerMetadata) -> ContainerMetadata { stripMetadata ? ContainerMetadata() : metadata }

    func validate() throws {
        for (name, bits) in [("--conv-index-bits", convIndexBits), ("--fc-index-bits", fcIndexBits)] where !(1...16).contains(bits) {
            throw ValidationError("\(name) must be between 1 and 16, got \(bits)")
        }
    }

    /// The options, with `defaultCodec` when `--codec` is not given.
    func options(defaultCodec: EntropyCodec = .huffman) -> ContainerOptions {
        ContainerOptions(codec: codec ?? defaultCodec, convolutionIndexBits: convIndexBits, fullyConnectedIndexBits: fcIndexBits)
    }

    /// The options with Huffman coding unless `--codec` says otherwise.
    var options: ContainerOptions { options() }
}
