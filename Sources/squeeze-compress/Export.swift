import ArgumentParser
import Foundation
import SqueezeCompress

/// `squeeze-compress export`: any model the loader opens, as an ONNX file
/// that other runtimes and training frameworks read, with its pruning masks
/// and codebooks alongside (docs/ONNX.md).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model as ONNX (dense float32 weights), its pruning masks and codebooks as side tensors.",
        discussion: """
            The graph uses standard operators (opset 13 by default); each pruned layer's weights W come with \
            W_mask, each weight-shared layer's with W_codebook and W_codes, initializers no node reads. \
            metadata_props get preprocessing_json and the model's source.* and compression.* metadata. \
            `import --onnx` reads the file back, masks and codebooks included (docs/ONNX.md).
            """)

    @Argument(help: ArgumentHelp("The model: .sqz, .onnx, or a .net or .caffemodel with --prototxt.", valueName: "model"))
    var input: String

    @Option(help: ArgumentHelp("The Caffe network definition, for .net and .caffemodel models.", valueName: "prototxt"))
    var prototxt: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The ONNX file to write.", valueName: "out.onnx"))
    var output: String

    @Option(help: "The ONNX opset (13 to 21).")
    var opset: Int = 13

    @OptionGroup(title: "Preprocessing recorded in preprocessing_json (default: from the model's metadata, else Caffe ImageNet)")
    var preprocessing: PreprocessingOptions

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard ONNXWriter.opsets.contains(opset) else {
            throw ValidationError("--opset must be between \(ONNXWriter.opsets.lowerBound) and \(ONNXWriter.opsets.upperBound)")
        }
    }

    func run() throws {
        let loaded = try ModelLoader.load(weights: URL(fileURLWithPath: input), prototxt: prototxt.map { URL(fileURLWithPath: $0) })
        let properties = ONNXExportMetadata.properties(loaded.metadata, preprocessing: try preprocessing.preprocessing(for: loaded))
        let bytes = try ONNXWriter.serialize(loaded.model, metadata: properties, opset: opset)
        try AtomicFile.write(bytes, to: URL(fileURLWithPath: output))
        let weights = loaded.model.parameters.values.map(\.weights)
        let pruned = weights.filter(\.isPruned).count, shared = weights.filter(\.isShared).count
        print("\(output): \(bytes.count) bytes, ONNX opset \(opset), \(loaded.model.network.layers.count) layers "
              + "(\(pruned) with a mask, \(shared) with a codebook), from \(loaded.summary)")
    }
}

/// The `metadata_props` of an exported model.
enum ONNXExportMetadata {
    /// `preprocessing_json` (the keys of ../shared's models: `color`, `layout`,
    /// `resize`, `resize_to`, `crop`, `interp`, `mean` and `scale` in the
    /// input's channel order), every `source.*` and `compression.*` entry
    /// (lists as JSON arrays), and the entries an imported ONNX model had
    /// (kept as `onnx.<key>`) under their own keys again.
    static func properties(_ metadata: ContainerMetadata, preprocessing p: Preprocessing) -> [(String, String)] {
        var properties: [(String, String)] = [("preprocessing_json", preprocessingJSON(p))]
        var keys: Set<String> = ["preprocessing_json", ONNXWriter.compressionMetadataKey]
        for (key, value) in metadata.entries where key.hasPrefix("source.") || key.hasPrefix("compression.") {
            properties.append((key, text(value)))
            keys.insert(key)
        }
        for (key, value) in metadata.entries where key.hasPrefix("onnx.") {
            let original = String(key.dropFirst("onnx.".count))
            // The writer makes its own compression entry; a key taken keeps its prefix.
            guard original != ONNXWriter.compressionMetadataKey, original != "preprocessing_json" else { continue }
            let name = keys.contains(original) ? key : original
            guard !keys.contains(name) else { continue }
            properties.append((name, text(value)))
            keys.insert(name)
        }
        return properties
    }

    /// A value as `metadata_props` text: lists as JSON arrays.
    static func text(_ value: ContainerMetadata.Value) -> String {
        func json(_ object: Any) -> String {
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else { return "[]" }
            return String(decoding: data, as: UTF8.self)
        }
        switch value {
        case .string(let v): return v
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .strings(let v): return json(v)
        case .floats(let v): return json(v)
        }
    }

    /// The preprocessing as the shared models' `preprocessing_json` has it.
    static func preprocessingJSON(_ p: Preprocessing) -> String {
        let bgr = p.channelOrder == .bgr
        // Shortest decimal text of the float, as a JSON number.
        func number(_ v: Float) -> NSNumber { NSNumber(value: Double("\(v)") ?? Double(v)) }
        func ordered(_ c: Preprocessing.ChannelMean) -> [NSNumber] {
            (bgr ? [c.blue, c.green, c.red] : [c.red, c.green, c.blue]).map(number)
        }
        let scale = Preprocessing.ChannelMean(red: p.channelScale.red * p.scale, green: p.channelScale.green * p.scale,
                                              blue: p.channelScale.blue * p.scale)
        var object: [String: Any] = [
            "color": bgr ? "BGR" : "RGB",
            "layout": "NCHW",
            "resize": p.resizeRule == .shorterSide ? "shorter_side" : "square",
            "resize_to": p.resizeWidth,
            "crop": p.cropWidth,
            "interp": "PIL.Image.BILINEAR",
            "mean": ordered(p.mean),
            "scale": ordered(scale),
            "formula": "x = (p - mean[c]) * scale[c], p = pixel 0..255, channels in \(bgr ? "BGR" : "RGB") order",
        ]
        if p.resizeRule == .shorterSide {
            object["round_resized_size"] = "max(crop, round(side * resize_to / shorter_side)), Python round (half to even)"
            object["crop_offset"] = "floor((side - crop) / 2)"
        } else {
            object["crop_offset"] = "(resize_to - crop) // 2"
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
