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
        var blobsByName: [String: [Caffe_BlobProto]] = [:]
        for layer in net.layer { blobsByName[layer.name] = layer.blobs }
        var parameters: [String: LayerParameters] = [:]
        for (layer, layerShapes) in zip(network.layers, shapes.layers) {
            guard let shape = layerShapes.weight else { continue }
            guard let blobs = blobsByName[layer.name], !blobs.isEmpty else {
                throw .invalidWeights(file: source, reason: "no weights for layer '\(layer.name)'")
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
        return model
    }
}
