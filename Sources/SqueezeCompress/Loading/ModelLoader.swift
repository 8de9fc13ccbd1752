import Foundation
import SqueezeModel
import SqueezeContainer
import SqueezeImage
import SqueezeReader

/// A model opened from files, with where it came from.
public struct LoadedModel: Sendable {
    /// The network and its parameters.
    public var model: Model
    /// The format of the weights file.
    public var format: ModelFormat
    /// The weights file.
    public var source: URL
    /// The container's metadata, or for imported files their provenance and
    /// what their format says of the preprocessing.
    public var metadata: ContainerMetadata = ContainerMetadata()

    /// How images become the model's input: its metadata's preprocessing, or
    /// Caffe's ImageNet convention for models that carry none.
    public var preprocessing: Preprocessing { metadata.preprocessing ?? .caffeImageNet }

    /// A one-line description: name, format, weights and non-zero weights.
    public var summary: String {
        let name = model.network.name.isEmpty ? source.lastPathComponent : model.network.name
        let weights = model.weightCount
        let nonZero = model.nonZeroWeightCount
        let percent = weights > 0 ? Double(nonZero) / Double(weights) * 100 : 0
        return "\(name) (\(format.displayName), \(weights) weights, \(nonZero) non-zero = \(String(format: "%.1f", percent))%)"
    }
}

/// Opens models in any supported format; the one seam through which the CLI and
/// library users load networks, so that new formats plug in here.
public enum ModelLoader {
    /// Opens the model in `weights`, reading the network from `prototxt` when the
    /// format keeps it separately.
    public static func load(weights: URL, prototxt: URL? = nil) throws(ModelLoadError) -> LoadedModel {
        guard let format = ModelFormat(url: weights) else {
            guard FileManager.default.fileExists(atPath: weights.path) else {
                throw .reader(.fileNotFound(path: weights.path))
            }
            throw .unknownFormat(path: weights.path)
        }
        do {
            switch format {
            case .deepCompression, .caffeModel:
                guard let prototxt else { throw ModelLoadError.missingDefinition(path: weights.path, format: format) }
                let network = try CaffeDefinition.network(contentsOf: prototxt)
                let model = format == .deepCompression
                    ? try DeepCompressionFile.read(contentsOf: weights, network: network)
                    : try CaffeWeights.read(contentsOf: weights, network: network)
                return LoadedModel(model: model, format: format, source: weights,
                                   metadata: provenance(weights, format: format == .deepCompression ? "deep-compression" : "caffe"))
            case .squeeze:
                let contents = try SqueezeContainer.readContents(contentsOf: weights)
                return LoadedModel(model: contents.model, format: format, source: weights, metadata: contents.metadata)
            case .onnx:
                let onnx = try ONNXModel.read(contentsOf: weights)
                let model = try ONNXNetworkBuilder.model(onnx, source: weights.path)
                return LoadedModel(model: model, format: format, source: weights,
                                   metadata: provenance(weights, format: "onnx").merging(.fromONNX(onnx)))
            }
        } catch let error as ModelLoadError {
            throw error
        } catch let error as ReaderError {
            throw .reader(error)
        } catch let error as ContainerError {
            throw .container(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Where a model came from: the file's name, format and SHA-256.
    private static func provenance(_ url: URL, format: String) -> ContainerMetadata {
        let bytes = (try? FileContents.read(url.path, maximumSize: Int(Int32.max))) ?? []
        return .provenance(of: url, bytes: bytes, format: format)
    }
}
