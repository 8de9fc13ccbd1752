import Foundation
import SqueezeModel

/// An ONNX model as the file describes it: its operator sets, its graph's
/// inputs, outputs, nodes and initializers (weights), and its metadata.
///
/// The representation is neutral: nodes keep ONNX's operator names and
/// attributes, and mapping them to the toolkit's layers is left to its users.
/// Reading follows the toolkit's resource policy (docs/LIMITS.md): the file
/// is at most 2 GiB, the memory decoding needs is planned and checked before
/// it is allocated, every tensor shape is within ``SizeLimits`` and every
/// size is computed with checked arithmetic, so a hostile file is refused
/// with a one-line ``ReaderError`` naming it.
public struct ONNXModel: Sendable, Hashable {
    /// One `metadata_props` entry.
    public struct MetadataEntry: Sendable, Hashable {
        /// The key (`preprocessing_json`).
        public var key: String
        /// The value.
        public var value: String

        /// An entry of `key` and `value`.
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The largest file read: 2 GiB, protobuf's own ceiling on a message
    /// (larger ONNX models keep their weights in external files, which this
    /// reader does not follow).
    public static let maximumFileSize = Int(Int32.max)

    /// The ONNX IR version (`ir_version`).
    public var irVersion: Int
    /// The version of ONNX's default operator set (domain `""` or `ai.onnx`);
    /// 0 when the model imports none and no node uses it.
    public var opsetVersion: Int
    /// The versions of the other operator sets imported, by domain (`ai.onnx.ml`).
    public var otherOpsets: [String: Int]
    /// The tool that wrote the model (`pytorch`), possibly empty.
    public var producerName: String
    /// Its version, possibly empty.
    public var producerVersion: String
    /// The graph's name, possibly empty.
    public var graphName: String
    /// `metadata_props`, in file order.
    public var metadata: [MetadataEntry]
    /// The graph's inputs that are not initializers: what the model is fed.
    public var inputs: [ONNXValueInfo]
    /// The graph's outputs.
    public var outputs: [ONNXValueInfo]
    /// The initializers (weights and constants) by name.
    public var initializers: [String: ONNXTensor]
    /// The initializers' names in file order.
    public var initializerNames: [String]
    /// The nodes in file order (ONNX requires it to be a topological order).
    public var nodes: [ONNXNode]
    /// The file the model was read from, as errors name it.
    public var source: String

    /// A model of these parts.
    public init(irVersion: Int, opsetVersion: Int, otherOpsets: [String: Int] = [:], producerName: String = "",
                producerVersion: String = "", graphName: String = "", metadata: [MetadataEntry] = [],
                inputs: [ONNXValueInfo], outputs: [ONNXValueInfo], initializers: [ONNXTensor] = [],
                nodes: [ONNXNode], source: String = "") {
        self.irVersion = irVersion
        self.opsetVersion = opsetVersion
        self.otherOpsets = otherOpsets
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.graphName = graphName
        self.metadata = metadata
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = Dictionary(initializers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.initializerNames = initializers.map(\.name)
        self.nodes = nodes
        self.source = source
    }

    /// The value of the first metadata entry with `key`, or nil.
    public func metadataValue(forKey key: String) -> String? {
        metadata.first { $0.key == key }?.value
    }

    /// Reads the `.onnx` file at `url`, refusing a decode that would need more
    /// than `memoryLimit`.
    public static func read(contentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(ReaderError) -> ONNXModel {
        try ONNXModel(serializedBytes: FileBytes.read(url, maximumSize: maximumFileSize), source: url.path,
                      memoryLimit: memoryLimit)
    }

    /// Decodes a serialized `ModelProto`; `source` names it in errors.
    public init(serializedBytes bytes: Data, source: String, memoryLimit: MemoryLimit = .current) throws(ReaderError) {
        self = try Self.decode(bytes, source: source, memoryLimit: memoryLimit)
    }

    /// Decodes a serialized `ModelProto`; `source` names it in errors.
    public init(serializedBytes bytes: [UInt8], source: String, memoryLimit: MemoryLimit = .current) throws(ReaderError) {
        self = try Self.decode(bytes, source: source, memoryLimit: memoryLimit)
    }

    /// Decodes a standalone serialized `TensorProto` (as ONNX test data keeps
    /// inputs and outputs, `test_data_set_0/input_0.pb`), with the checks
    /// applied to initializers; `source` names it in errors.
    public static func decodeTensor(_ bytes: Data, source: String,
                                    memoryLimit: MemoryLimit = .current) throws(ReaderError) -> ONNXTensor {
        try decodeTensorProto(bytes, source: source, memoryLimit: memoryLimit)
    }

    /// Decodes a standalone serialized `TensorProto`, as the `Data` overload does.
    public static func decodeTensor(_ bytes: [UInt8], source: String,
                                    memoryLimit: MemoryLimit = .current) throws(ReaderError) -> ONNXTensor {
        try decodeTensorProto(bytes, source: source, memoryLimit: memoryLimit)
    }

    /// Reads a `TensorProto` file (`input_0.pb`) with the checks of `decodeTensor`.
    public static func readTensor(contentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(ReaderError) -> ONNXTensor {
        try decodeTensor(FileBytes.read(url, maximumSize: maximumFileSize), source: url.path, memoryLimit: memoryLimit)
    }
}
