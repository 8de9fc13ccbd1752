import ArgumentParser
import SqueezeCompress

extension Preprocessing.ChannelOrder: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "rgb": self = .rgb
        case "bgr": self = .bgr
        default: return nil
        }
    }
}

extension Preprocessing.ResizeRule: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "square": self = .exact
        case "shorter-side": self = .shorterSide
        default: return nil
        }
    }
}

/// Three numbers, red, green and blue (`104,117,123`), or one for all three.
struct ChannelValues: ExpressibleByArgument {
    var values: [Float]

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 1 || parts.count == 3, parts.allSatisfy({ $0?.isFinite == true }) else { return nil }
        values = parts.count == 1 ? Array(repeating: parts[0]!, count: 3) : parts.map { $0! }
    }

    var mean: Preprocessing.ChannelMean { .init(red: values[0], green: values[1], blue: values[2]) }
}

/// How images become the network's input. The model's metadata says it (an
/// imported ONNX model's `preprocessing_json`, a container's `preprocessing.*`
/// keys); without it the Caffe ImageNet convention applies; each flag
/// overrides one part.
struct PreprocessingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The input planes' colour order: rgb|bgr.", valueName: "order"))
    var color: Preprocessing.ChannelOrder?

    @Option(help: ArgumentHelp("square (resize to NxN) or shorter-side (shorter side to N, aspect kept).", valueName: "rule"))
    var resizeRule: Preprocessing.ResizeRule?

    @Option(help: ArgumentHelp("The resize size N in pixels.", valueName: "N"))
    var resize: Int?

    @Option(help: ArgumentHelp("The centre crop, pixels per side.", valueName: "N"))
    var crop: Int?

    @Option(help: ArgumentHelp("Subtracted per channel: R,G,B or one value.", valueName: "values"))
    var mean: ChannelValues?

    @Option(help: ArgumentHelp("Multiplies per channel after the mean: R,G,B or one value.", valueName: "values"))
    var scale: ChannelValues?

    func validate() throws {
        if let resize, !(1...65536).contains(resize) { throw ValidationError("--resize must be between 1 and 65536") }
        if let crop, !(1...65536).contains(crop) { throw ValidationError("--crop must be between 1 and 65536") }
    }

    /// The model's preprocessing with the flags applied.
    func preprocessing(for loaded: LoadedModel) throws -> Preprocessing {
        let base = loaded.preprocessing
        let resize = resize ?? base.resizeWidth, crop = crop ?? base.cropWidth
        guard crop <= resize else {
            throw ValidationError("the crop \(crop) is larger than the resize \(resize)")
        }
        let channelScale = scale.map(\.mean)
            ?? .init(red: base.channelScale.red * base.scale, green: base.channelScale.green * base.scale,
                     blue: base.channelScale.blue * base.scale)
        return Preprocessing(resizeWidth: resize, resizeHeight: resize, cropWidth: crop, cropHeight: crop,
                             mean: mean?.mean ?? base.mean, channelOrder: color ?? base.channelOrder, scale: 1,
                             resizeRule: resizeRule ?? base.resizeRule, channelScale: channelScale)
    }
}
