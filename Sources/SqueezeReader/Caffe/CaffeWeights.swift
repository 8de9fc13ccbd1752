import Foundation
import SqueezeModel
internal import SwiftProtobuf

/// Reads trained weights from a binary Caffe `.caffemodel` for a network definition.
///
/// Layers are matched by name; the first blob of a weighted layer is its weights,
/// the second its bias. Other layers in the file (data, loss) are ignored.
public enum CaffeWeights {
    /// The largest file read: 2 GiB, protobuf's own ceiling on a message.
    public static let maximumFileSize = Int(Int32.max)

    /// Reads the file at `url` for `network`, refusing a decode that would need
    /// more than `memoryLimit`.
    public static func read(contentsOf url: URL, network: Network,
                            memoryLimit: MemoryLimit = .current) throws(ReaderError) -> Model {
        try decode(FileBytes.read(url, maximumSize: maximumFileSize), network: network, source: url.path,
                   memoryLimit: memoryLimit)
    }

    /// Decodes a `.caffemodel`'s bytes for `network`; `source` names it in errors.
    public static func decode(_ data: Data, network: Network, source: String,
                              memoryLimit: MemoryLimit = .current) throws(ReaderError) -> Model {
        guard data.count <= maximumFileSize else {
            throw .tooLarge(file: source, reason: "\(ByteCount.describe(data.count)) is more than a Caffe model may hold")
        }
        // The decoded message holds every blob once more, and the model a copy
        // of the weighted layers' values: at most twice the file.
        var estimate = MemoryEstimate("decoding the Caffe model")
        estimate.add("decoded blobs", bytes: data.count)
        estimate.add("weights of the network", bytes: data.count)
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }
        let shapes: NetworkShapes
        do { shapes = try network.inferShapes() } catch { throw .invalidNetwork(file: source, reason: error.description) }
        let net: Caffe_NetParameter
        do {
            net = try Caffe_NetParameter(serializedBytes: data)
        } catch {
            throw .invalidWeights(file: source, reason: "not a binary Caffe model (\(error))")
        }
        var blobsByName: [String: [Caffe_BlobProto]] = [:], typeByName: [String: String] = [:], epsByName: [String: Float] = [:]
        for layer in net.layer {
            blobsByName[layer.name] = layer.blobs
            typeByName[layer.name] = layer.type
            epsByName[layer.name] = layer.batchNormParam.eps
        }
        var parameters: [String: LayerParameters] = [:]
        for (layer, layerShapes) in zip(network.layers, shapes.layers) {
            guard let shape = layerShapes.weight else { continue }
            guard let blobs = blobsByName[layer.name], !blobs.isEmpty else {
                throw .invalidWeights(file: source, reason: "no weights for layer '\(layer.name)'")
            }
            if layer.kind is BatchNormalization {
                parameters[layer.name] = try affine(blobs, type: typeByName[layer.name] ?? "", eps: epsByName[layer.name] ?? 1e-5,
                                                    layer: layer.name, channels: layerShapes.biasCount, source: source)
                continue
            }
            let weights = blobs[0].data.isEmpty ? blobs[0].doubleData.map(Float.init) : blobs[0].data
            guard weights.count == shape.elementCount else {
                throw .invalidWeights(file: source, reason: "layer '\(layer.name)' has \(weights.count) weights, the definition needs \(shape.elementCount)")
            }
            var bias: [Float] = []
            if layerShapes.biasCount > 0 {
                guard blobs.count > 1 else { throw .invalidWeights(file: source, reason: "no bias for layer '\(layer.name)'") }
                bias = blobs[1].data.isEmpty ? blobs[1].doubleData.map(Float.init) : blobs[1].data
            }
            parameters[layer.name] = LayerParameters(weights: WeightTensor(shape: shape, values: weights), bias: bias)
        }
        let model = Model(network: network, parameters: parameters)
        do { try model.validate() } catch { throw .invalidWeights(file: source, reason: error.description) }
        return model.foldingBatchNormalization()
    }

    /// The per-channel `x * w + b` of a Caffe `BatchNorm` (blobs: mean,
    /// variance, the moving-average factor they are to be divided by) or
    /// `Scale` (blobs: scale, and bias with `bias_term`).
    private static func affine(_ blobs: [Caffe_BlobProto], type: String, eps: Float, layer: String, channels: Int,
                               source: String) throws(ReaderError) -> LayerParameters {
        func values(_ blob: Caffe_BlobProto) -> [Float] { blob.data.isEmpty ? blob.doubleData.map(Float.init) : blob.data }
        func check(_ v: [Float], _ what: String) throws(ReaderError) {
            guard v.count == channels else {
                throw .invalidWeights(file: source, reason: "layer '\(layer)' has \(v.count) \(what) values for \(channels) channels")
            }
        }
        if type == CaffeLayerType.batchNorm.rawValue {
            guard blobs.count >= 3 else { throw .invalidWeights(file: source, reason: "BatchNorm '\(layer)' needs 3 blobs") }
            let mean = values(blobs[0]), variance = values(blobs[1]), factor = values(blobs[2]).first ?? 0
            try check(mean, "mean")
            try check(variance, "variance")
            let divide: Float = factor == 0 ? 0 : 1 / factor
            let scale = variance.map { 1 / ($0 * divide + eps).squareRoot() }
            return LayerParameters(weights: WeightTensor(shape: [channels], values: scale),
                                   bias: zip(mean, scale).map { -$0 * divide * $1 })
        }
        let scale = values(blobs[0])
        try check(scale, "scale")
        let bias = blobs.count > 1 ? values(blobs[1]) : [Float](repeating: 0, count: channels)
        try check(bias, "bias")
        return LayerParameters(weights: WeightTensor(shape: [channels], values: scale), bias: bias)
    }
}
