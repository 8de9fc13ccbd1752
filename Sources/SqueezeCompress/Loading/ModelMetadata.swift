import Foundation
import SqueezeContainer
import SqueezeImage
import SqueezeReader

/// The metadata keys the toolkit reads and writes (docs/FORMAT.md), and their
/// mapping to and from ``Preprocessing``.
public enum MetadataKeys {
    /// `rgb` or `bgr`.
    public static let color = "preprocessing.color"
    /// `square` or `shorter_side`.
    public static let resize = "preprocessing.resize"
    /// Pixels.
    public static let resizeTo = "preprocessing.resize_to"
    /// Pixels per side of the centre crop.
    public static let crop = "preprocessing.crop"
    /// Red, green, blue.
    public static let mean = "preprocessing.mean"
    /// Red, green, blue.
    public static let scale = "preprocessing.scale"
    /// Class names in output order.
    public static let labels = "labels"
    /// The imported file's name.
    public static let sourceModel = "source.model"
    /// `onnx`, `caffe`, `deep-compression`.
    public static let sourceFormat = "source.format"
    /// The imported file's SHA-256, hex.
    public static let sourceHash = "source.sha256"
    /// One JSON object per compression stage.
    public static let history = "compression.history"
}

extension ContainerMetadata {
    /// The provenance of a model imported from the file `bytes` at `url`.
    static func provenance(of url: URL, bytes: [UInt8], format: String) -> ContainerMetadata {
        var m = ContainerMetadata()
        m[MetadataKeys.sourceModel] = .string(url.lastPathComponent)
        m[MetadataKeys.sourceFormat] = .string(format)
        m[MetadataKeys.sourceHash] = .string(SHA256.hex(bytes))
        return m
    }

    /// The preprocessing the metadata describes, or nil when it describes none
    /// (or one this toolkit cannot apply).
    public var preprocessing: Preprocessing? {
        guard let crop = number(MetadataKeys.crop).map({ Int($0) }), let resizeTo = number(MetadataKeys.resizeTo).map({ Int($0) }),
              (1...65536).contains(crop), (crop...65536).contains(resizeTo) else { return nil }
        let color: Preprocessing.ChannelOrder = string(MetadataKeys.color) == "rgb" ? .rgb : .bgr
        let rule: Preprocessing.ResizeRule = string(MetadataKeys.resize) == "shorter_side" ? .shorterSide : .exact
        let mean = numbers(MetadataKeys.mean) ?? [0, 0, 0], scale = numbers(MetadataKeys.scale) ?? [1, 1, 1]
        guard mean.count == 3, scale.count == 3, (mean + scale).allSatisfy(\.isFinite) else { return nil }
        return Preprocessing(resizeWidth: resizeTo, resizeHeight: resizeTo, cropWidth: crop, cropHeight: crop,
                             mean: .init(red: Float(mean[0]), green: Float(mean[1]), blue: Float(mean[2])),
                             channelOrder: color, scale: 1, resizeRule: rule,
                             channelScale: .init(red: Float(scale[0]), green: Float(scale[1]), blue: Float(scale[2])))
    }

    /// Records `p` (a square resize and crop of equal sides).
    public mutating func setPreprocessing(_ p: Preprocessing) {
        self[MetadataKeys.color] = .string(p.channelOrder == .rgb ? "rgb" : "bgr")
        self[MetadataKeys.resize] = .string(p.resizeRule == .shorterSide ? "shorter_side" : "square")
        self[MetadataKeys.resizeTo] = .int(p.resizeWidth)
        self[MetadataKeys.crop] = .int(p.cropWidth)
        self[MetadataKeys.mean] = .floats([p.mean.red, p.mean.green, p.mean.blue].map(Double.init))
        self[MetadataKeys.scale] = .floats([p.channelScale.red, p.channelScale.green, p.channelScale.blue].map { Double($0 * p.scale) })
    }

    /// Metadata from an ONNX model's `metadata_props`: the preprocessing of a
    /// `preprocessing_json` entry (the convention of the models in ../shared:
    /// `color`, `resize` `square` or `shorter_side`, `resize_to`, `crop`,
    /// `mean` and `scale` listed in the input's channel order), and every
    /// other entry kept as `onnx.<key>`.
    static func fromONNX(_ onnx: ONNXModel) -> ContainerMetadata {
        var m = ContainerMetadata()
        // The preprocessing is read below; the compression side tensors' index
        // is the import's to use, not to keep.
        for entry in onnx.metadata where entry.key != "preprocessing_json" && entry.key != "squeeze.compression" {
            m["onnx." + entry.key] = .string(entry.value)
        }
        guard let json = onnx.metadataValue(forKey: "preprocessing_json"), let data = json.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return m }
        let color = (object["color"] as? String)?.lowercased() == "bgr" ? "bgr" : "rgb"
        m[MetadataKeys.color] = .string(color)
        m[MetadataKeys.resize] = .string((object["resize"] as? String) == "shorter_side" ? "shorter_side" : "square")
        if let v = object["resize_to"] as? Int { m[MetadataKeys.resizeTo] = .int(v) }
        if let v = object["crop"] as? Int { m[MetadataKeys.crop] = .int(v) }
        func rgb(_ key: String) -> [Double]? {
            guard let v = (object[key] as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }), v.count == 3 else { return nil }
            return color == "bgr" ? v.reversed() : v
        }
        if let v = rgb("mean") { m[MetadataKeys.mean] = .floats(v) }
        if let v = rgb("scale") { m[MetadataKeys.scale] = .floats(v) }
        return m
    }

    /// `self` with `other`'s entries added (other's win).
    public func merging(_ other: ContainerMetadata) -> ContainerMetadata {
        var m = self
        for (key, value) in other.entries { m[key] = value }
        return m
    }
}
