import ArgumentParser
import Foundation
import SqueezeCompress

/// Writes a loaded model as a `.sqz`, timing the encoding, and reports it.
enum ContainerWriting {
    static func write(_ model: Model, metadata: ContainerMetadata = ContainerMetadata(), to path: String,
                      options: ContainerOptions, from source: String) throws {
        let start = ContinuousClock.now
        let encoding = try SqueezeContainer.encode(model, metadata: metadata, options: options)
        let elapsed = ContinuousClock.now - start
        try AtomicFile.write(Data(encoding.bytes), to: URL(fileURLWithPath: path))
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        print("\(path): \(encoding.bytes.count) bytes (\(options.codec.rawValue)), from \(source), encoded in \(String(format: "%.1f", ms)) ms")
    }
}

/// `squeeze-compress import`: an ONNX model, or a Deep-Compression `.net` (or
/// `.caffemodel`) with its definition, becomes a `.sqz`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an ONNX model, or a .net or .caffemodel (with --prototxt), into a .sqz container, losslessly.")

    @Option(help: ArgumentHelp("An ONNX model (opsets 11 to 21).", valueName: "model.onnx"))
    var onnx: String?

    @Option(help: ArgumentHelp("The Caffe network definition.", valueName: "prototxt"))
    var prototxt: String?

    @Option(help: ArgumentHelp("The weights: Deep-Compression .net or Caffe .caffemodel.", valueName: "file"))
    var weights: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The container to write.", valueName: "out.sqz"))
    var output: String

    @OptionGroup var container: ContainerOptionGroup

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        switch (onnx, weights, prototxt) {
        case (_?, nil, nil), (nil, _?, _?): break
        case (nil, _?, nil): throw ValidationError("give the Caffe definition with --prototxt")
        default: throw ValidationError("give either --onnx, or --prototxt and --weights")
        }
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: onnx ?? weights ?? ""),
                                          prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        try ContainerWriting.write(loaded.model, metadata: container.metadata(loaded.metadata), to: output, options: container.options,
                                   from: loaded.summary)
    }
}

/// `squeeze-compress encode`: re-encode any model into a `.sqz` with a chosen codec.
struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a model as a .sqz with the chosen entropy coder.")

    @Argument(help: ArgumentHelp("The model (.sqz, or .net/.caffemodel with --prototxt).", valueName: "in"))
    var input: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel inputs.", valueName: "prototxt"))
    var prototxt: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The container to write.", valueName: "out.sqz"))
    var output: String

    @OptionGroup var container: ContainerOptionGroup

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: input), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        try ContainerWriting.write(loaded.model, metadata: container.metadata(loaded.metadata), to: output, options: container.options, from: input)
    }
}

/// `squeeze-compress decode`: entropy-decode a `.sqz` (by default into fixed-width raw streams).
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a .sqz and write it again, by default without entropy coding (--codec raw).")

    @Argument(help: ArgumentHelp("The container to read.", valueName: "in.sqz"))
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The container to write.", valueName: "out.sqz"))
    var output: String

    @OptionGroup var container: ContainerOptionGroup

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        let bytes = try SqueezeContainer.bytes(contentsOf: URL(fileURLWithPath: input))
        let start = ContinuousClock.now
        let contents = try SqueezeContainer.decodeContents(bytes, source: input)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        print("\(input): \(bytes.count) bytes decoded in \(String(format: "%.1f", ms)) ms")
        try ContainerWriting.write(contents.model, metadata: container.metadata(contents.metadata), to: output,
                                   options: container.options(defaultCodec: .raw), from: input)
    }
}
