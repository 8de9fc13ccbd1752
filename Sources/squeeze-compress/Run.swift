import ArgumentParser
import Foundation
import SqueezeCompress

/// The tensor files `run` writes.
enum TensorFileFormat: String, CaseIterable, ExpressibleByArgument {
    /// NumPy `.npy` (float32).
    case npy
    /// ONNX `TensorProto` `.pb` (FLOAT, named after the output).
    case pb
    /// Both.
    case both
}

/// Why `run` cannot run: one line.
struct RunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `squeeze-compress run`: the network on given tensors, its outputs as files.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on input tensors (.npy or ONNX TensorProto .pb) and write each output as DIR/<output>.npy.",
        discussion: """
            Each --input is NAME=FILE or, for a network with one input, FILE; the file type follows its extension. \
            The tensor's shape must be the input's, except the batch axis, which may be any size (the network is \
            compiled for it). Output names with characters a file name cannot hold ('/') have them replaced by '_'.
            """)

    @Argument(help: ArgumentHelp("The model: .sqz, .onnx, or a .net or .caffemodel with --prototxt.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The Caffe network definition, for .net and .caffemodel models.", valueName: "prototxt"))
    var prototxt: String?

    @Option(name: .customLong("input"), help: ArgumentHelp("An input tensor: NAME=FILE, or FILE for the single input.",
                                                           valueName: "name=file"))
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder the outputs are written to (made if missing).", valueName: "dir"))
    var output: String

    @Option(help: EngineKind.help)
    var engine: EngineKind?

    @Option(help: "The output files: npy, pb or both.")
    var format: TensorFileFormat = .npy

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give the input tensor with --input [NAME=]FILE") }
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: model), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let network = loaded.model.network
        guard network.inputs.count == 1, let networkInput = network.inputs.first else {
            throw RunError("\(model): the network has \(network.inputs.count) inputs; the engines run networks of one")
        }
        let tensor = try readInput(for: networkInput)
        let batch = tensor.shape[0]
        let kind = engine ?? EngineKind.defaultEngine(for: loaded.format)

        let directory = URL(fileURLWithPath: output)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError("\(output): cannot make the output folder (\(error.localizedDescription))")
        }
        let outputs = network.outputNames
        var fileNames = Set<String>()
        for name in outputs {
            let model = Self.model(loaded.model, computing: name, of: outputs)
            let factory = try model.engineFactory(kind, batchSize: batch)
            let values = try factory.makeEngine().run(tensor.values)
            let result = HostTensor(shape: factory.outputShape.dimensions, values: values)
            var base = Self.fileName(name), k = 2
            while fileNames.contains(base) {
                base = Self.fileName(name) + "_\(k)"
                k += 1
            }
            fileNames.insert(base)
            var written: [String] = []
            if format != .pb {
                let url = directory.appendingPathComponent(base + ".npy")
                try AtomicFile.write(try result.npyBytes(), to: url)
                written.append(url.path)
            }
            if format != .npy {
                let url = directory.appendingPathComponent(base + ".pb")
                try AtomicFile.write(try result.tensorProtoBytes(name: name), to: url)
                written.append(url.path)
            }
            print("\(written.joined(separator: ", ")): '\(name)' \(result.shape) (\(kind.rawValue) engine)")
        }
    }

    /// The one tensor given for `input`, checked against its shape.
    private func readInput(for input: NetworkInput) throws -> HostTensor {
        var given: (name: String, path: String)?
        for spec in inputs {
            let name: String, path: String
            if let equals = spec.firstIndex(of: "=") {
                name = String(spec[..<equals])
                path = String(spec[spec.index(after: equals)...])
                guard name == input.name else {
                    throw RunError("unknown input '\(name)': the network's input is '\(input.name)'")
                }
            } else {
                name = input.name
                path = spec
            }
            guard given == nil else { throw RunError("input '\(name)' is given twice") }
            given = (name, path)
        }
        guard let given, !given.path.isEmpty else { throw RunError("no file for input '\(input.name)'") }
        let url = URL(fileURLWithPath: given.path)
        let tensor: HostTensor
        switch url.pathExtension.lowercased() {
        case "npy": tensor = try HostTensor(npyContentsOf: url)
        case "pb": tensor = try HostTensor.readTensorProto(contentsOf: url).tensor
        default: throw RunError("\(given.path): unknown tensor file type; expected .npy or .pb")
        }
        let expected = input.shape.dimensions
        let describedInput = "[N, " + expected.dropFirst().map(String.init).joined(separator: ", ") + "]"
        guard tensor.shape.count == expected.count, tensor.shape.dropFirst().elementsEqual(expected.dropFirst()),
              let batch = tensor.shape.first, batch >= 1 else {
            throw RunError("\(given.path): shape \(tensor.shape) does not fit input '\(input.name)' of shape \(describedInput) (any batch N)")
        }
        return tensor
    }

    /// `model`, with a copy of `output` appended as its last output when the
    /// network has several (the engines compute the last one).
    static func model(_ model: Model, computing output: String, of outputs: [String]) -> Model {
        guard outputs.count > 1, outputs.last != output else { return model }
        var m = model
        let names = Set(m.network.layers.flatMap(\.tops) + m.network.layers.map(\.name))
        var top = "\(output)__run", k = 2
        while names.contains(top) {
            top = "\(output)__run_\(k)"
            k += 1
        }
        let rank = (try? model.network.inferShapes())?.blobs[output]?.rank ?? 2
        m.network.layers.append(Layer(name: top, kind: Reshape(shape: [Int](repeating: 0, count: rank)),
                                      bottoms: [output], tops: [top]))
        return m
    }

    /// `name` as a file name: `/`, `\` and control characters become `_`, and a leading `.` too.
    static func fileName(_ name: String) -> String {
        var s = String(name.unicodeScalars.map { c -> Character in
            c == "/" || c == "\\" || c.properties.generalCategory == .control ? "_" : Character(c)
        })
        if s.hasPrefix(".") || s.isEmpty { s = "_" + s }
        return s
    }
}
