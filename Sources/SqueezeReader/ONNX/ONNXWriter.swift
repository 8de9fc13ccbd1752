import Foundation
import SqueezeModel
internal import SwiftProtobuf

/// Writes a ``Model`` as an ONNX model: the inverse of ``ONNXNetworkBuilder``.
///
/// The file is a standard `ModelProto` (IR version 8 for opset 13) that any
/// ONNX runtime runs: the graph input with its shape (the batch axis as the
/// symbol `N`), one node per layer mapped to the standard operator (a few
/// layers take two nodes: an InnerProduct over a 4-D input is a Flatten and
/// a Gemm, an Eltwise of more than two operands a chain of binary nodes, a
/// HardSwish below opset 14 a HardSigmoid and a Mul),
/// the weights and biases decoded to float32 as initializers
/// `<layer>.weight` and `<layer>.bias`, and the network's outputs under their
/// blob names. Blobs a layer rewrites in place (Caffe's ReLU) get a name of
/// their own for each value, as ONNX needs; the last value keeps the blob's
/// name.
///
/// The compression state goes along as initializers no node reads (runtimes
/// ignore them), named after the weight initializer `W`:
/// - `W_mask` (UINT8, the weights' shape): 1 where a weight is kept, for a
///   pruned layer;
/// - `W_codebook` (FLOAT `[K]`) and `W_codes` (UINT16, or INT32 when K is
///   65,536; the weights' shape): each weight's codebook index, for a
///   weight-shared layer, with K (UINT16) or -1 (INT32) at pruned positions.
///
/// They are also listed in the `metadata_props` entry
/// ``compressionMetadataKey`` (JSON). ``ONNXNetworkBuilder`` turns them back
/// into sparse and shared weight tensors (docs/ONNX.md).
public enum ONNXWriter {
    /// The opsets written: the operators used have the same form in all of
    /// them, but for HardSwish (from 14; below, a HardSigmoid and a Mul).
    public static let opsets = 13...21
    /// `producer_name`.
    public static let producerName = "squeeze-compress"
    /// The `metadata_props` key listing the compression side tensors.
    public static let compressionMetadataKey = "squeeze.compression"
    /// The suffix of a pruning mask's initializer, after the weight's name.
    public static let maskSuffix = "_mask"
    /// The suffix of a codebook's initializer.
    public static let codebookSuffix = "_codebook"
    /// The suffix of a code tensor's initializer.
    public static let codesSuffix = "_codes"

    /// The IR version written for `opset` (8 up to opset 18, 9 for 19 and
    /// 20, 10 for 21), the lowest that admits it.
    public static func irVersion(forOpset opset: Int) -> Int {
        switch opset {
        case ...18: 8
        case 19, 20: 9
        default: 10
        }
    }

    /// The serialized `ModelProto` of `model`, with `metadata` as its
    /// `metadata_props` (in order; an entry ``compressionMetadataKey`` is
    /// replaced by the writer's own).
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` for a model
    ///   that does not validate, an opset outside ``opsets``, or a layer with
    ///   no ONNX form (named, with its operator).
    public static func serialize(_ model: Model, metadata: [(String, String)], opset: Int = 13) throws(ReaderError) -> [UInt8] {
        guard opsets.contains(opset) else {
            throw failure("opset \(opset) is not written (\(opsets.lowerBound) to \(opsets.upperBound) are)")
        }
        let shapes: NetworkShapes
        do { shapes = try model.validate() } catch { throw failure(error.description) }
        var graph = ONNXGraphWriter(model: model, shapes: shapes, opset: opset)
        try graph.write()

        var proto = Onnx_ModelProto()
        proto.irVersion = Int64(irVersion(forOpset: opset))
        proto.producerName = producerName
        var set = Onnx_OperatorSetIdProto()
        set.domain = ""
        set.version = Int64(opset)
        proto.opsetImport = [set]
        proto.graph = graph.proto
        var props = metadata.filter { $0.0 != compressionMetadataKey }
        if let json = graph.compressionJSON() { props.append((compressionMetadataKey, json)) }
        proto.metadataProps = props.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        do {
            return try proto.serializedBytes()
        } catch {
            throw failure("cannot serialize the model (\(error))")
        }
    }

    /// An export failure.
    static func failure(_ reason: String) -> ReaderError { .invalidNetwork(file: "ONNX export", reason: reason) }
}

/// What one weighted layer's side tensors are called, for the metadata entry.
struct ONNXCompressionEntry {
    var weight: String
    var mask: String?
    var codebook: String?
    var codes: String?
    var codebookSize: Int?
    var prunedCode: Int?
    var kept: Int
    var elements: Int

    var json: [String: Any] {
        var object: [String: Any] = ["weight": weight, "kept": kept, "elements": elements]
        if let mask { object["mask"] = mask }
        if let codebook { object["codebook"] = codebook }
        if let codes { object["codes"] = codes }
        if let codebookSize { object["codebook_size"] = codebookSize }
        if let prunedCode { object["pruned_code"] = prunedCode }
        return object
    }
}

/// Builds the `GraphProto`: names, nodes, initializers.
struct ONNXGraphWriter {
    let model: Model
    let shapes: NetworkShapes
    /// The opset written (operators newer than it are written as older ones).
    let opset: Int
    private(set) var proto = Onnx_GraphProto()
    /// Every value and initializer name taken.
    private var taken = Set<String>()
    /// The ONNX value holding each blob's current value.
    private var current: [String: String] = [:]
    /// The index of the last layer writing each blob.
    private var lastWriter: [String: Int] = [:]
    private var inputNames = Set<String>()
    private var compression: [(layer: String, entry: ONNXCompressionEntry)] = []

    init(model: Model, shapes: NetworkShapes, opset: Int) {
        self.model = model
        self.shapes = shapes
        self.opset = opset
    }

    var network: Network { model.network }

    func failure(_ layer: Layer, _ reason: String) -> ReaderError {
        ONNXWriter.failure("layer \(ONNXText.quoted(layer.name)) (\(layer.kind.typeName)): \(reason)")
    }

    // MARK: Names

    /// `base`, or `base_2`, `base_3`, ... when taken; marks it taken.
    mutating func fresh(_ base: String) -> String {
        var name = base, k = 2
        while taken.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        taken.insert(name)
        return name
    }

    /// A name `base` (made unique) such that `base + suffix` is free for every suffix too.
    mutating func freshGroup(_ base: String, suffixes: [String]) -> String {
        var name = base, k = 2
        while taken.contains(name) || suffixes.contains(where: { taken.contains(name + $0) }) {
            name = "\(base)_\(k)"
            k += 1
        }
        taken.insert(name)
        for suffix in suffixes { taken.insert(name + suffix) }
        return name
    }

    /// The ONNX value holding blob `blob` now.
    func value(_ blob: String, _ layer: Layer) throws(ReaderError) -> String {
        guard let name = current[blob] else { throw failure(layer, "input blob \(ONNXText.quoted(blob)) is produced by no earlier layer") }
        return name
    }

    /// The ONNX value for blob `top` written by layer `index`: the blob's own
    /// name for its last value, a name of its own for an earlier one.
    mutating func output(_ top: String, layer index: Int) -> String {
        let name: String
        if lastWriter[top] == index, !inputNames.contains(top) {
            name = top  // reserved in write()
        } else {
            name = fresh("\(top)__\(network.layers[index].name)")
        }
        current[top] = name
        return name
    }

    // MARK: The graph

    mutating func write() throws(ReaderError) {
        proto.name = network.name.isEmpty ? "squeeze-compress" : network.name
        for (index, layer) in network.layers.enumerated() {
            for top in layer.tops { lastWriter[top] = index }
        }
        for input in network.inputs {
            inputNames.insert(input.name)
            taken.insert(input.name)
            current[input.name] = input.name
            proto.input.append(Self.valueInfo(input.name, shape: input.shape))
        }
        // The blobs' own names go to their last values: reserved first.
        for top in lastWriter.keys where !inputNames.contains(top) { taken.insert(top) }
        for (index, layer) in network.layers.enumerated() {
            try add(layer, index: index)
        }
        for blob in network.outputNames {
            guard let name = current[blob], let shape = shapes.blobs[blob] else { continue }
            proto.output.append(Self.valueInfo(name, shape: shape))
        }
    }

    /// A FLOAT value of `shape` with the batch axis as `N`.
    static func valueInfo(_ name: String, shape: TensorShape) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(ONNXTensor.DataType.float.rawValue)
        var s = Onnx_TensorShapeProto()
        for (axis, d) in shape.dimensions.enumerated() {
            var dim = Onnx_TensorShapeProto.Dimension()
            if axis == 0 { dim.dimParam = "N" } else { dim.dimValue = Int64(d) }
            s.dim.append(dim)
        }
        tensor.shape = s
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        info.type = type
        return info
    }

    // MARK: Nodes and attributes

    mutating func node(_ opType: String, name: String, inputs: [String], outputs: [String],
                       attributes: [Onnx_AttributeProto] = []) {
        var n = Onnx_NodeProto()
        n.name = name
        n.opType = opType
        n.input = inputs
        n.output = outputs
        n.attribute = attributes
        proto.node.append(n)
    }

    static func attribute(_ name: String, int value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func attribute(_ name: String, ints values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map { Int64($0) }
        return a
    }

    static func attribute(_ name: String, float value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }

    // MARK: Initializers

    private mutating func initializer(_ name: String, type: ONNXTensor.DataType, dims: [Int], raw: Data) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(type.rawValue)
        t.dims = dims.map { Int64($0) }
        t.rawData = raw
        proto.initializer.append(t)
    }

    /// A FLOAT initializer; `name` must already be taken by the caller.
    mutating func floats(_ name: String, dims: [Int], _ values: [Float]) {
        initializer(name, type: .float, dims: dims, raw: Self.littleEndian(values))
    }

    /// An INT64 initializer named `base` (made unique); returns its name.
    mutating func int64s(_ base: String, _ values: [Int]) -> String {
        let name = fresh(base)
        initializer(name, type: .int64, dims: [values.count], raw: Self.littleEndian(values.map { Int64($0) }))
        return name
    }

    /// A FLOAT initializer named `base` (made unique); returns its name.
    mutating func constant(_ base: String, dims: [Int], _ values: [Float]) -> String {
        let name = fresh(base)
        floats(name, dims: dims, values)
        return name
    }

    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> Data {
        var data = Data(count: values.count * MemoryLayout<T>.size)
        data.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self) }
        }
        return data
    }

    static func littleEndian(_ values: [Float]) -> Data { littleEndian(values.map(\.bitPattern)) }

    /// The weights (dense float32), the bias and the compression side
    /// tensors of a weighted layer; returns the weight's and bias's names.
    mutating func parameters(of layer: Layer, layerShapes: LayerShapes) throws(ReaderError) -> (weight: String, bias: String?) {
        guard let p = model.parameters[layer.name], let shape = layerShapes.weight else {
            throw failure(layer, "has no weights")
        }
        let w = p.weights
        let dims = shape.dimensions
        var suffixes: [String] = []
        if w.isPruned { suffixes.append(ONNXWriter.maskSuffix) }
        if w.isShared { suffixes += [ONNXWriter.codebookSuffix, ONNXWriter.codesSuffix] }
        let weight = freshGroup("\(layer.name).weight", suffixes: suffixes)
        floats(weight, dims: dims, w.denseValues())
        var entry = ONNXCompressionEntry(weight: weight, kept: w.positions?.count ?? w.elementCount, elements: w.elementCount)
        if let positions = w.positions {
            var bytes = [UInt8](repeating: 0, count: w.elementCount)
            for p in positions { bytes[Int(p)] = 1 }
            let mask = Data(bytes)
            let name = weight + ONNXWriter.maskSuffix
            initializer(name, type: .uint8, dims: dims, raw: mask)
            entry.mask = name
        }
        if case .shared(let codebook, let codes, let positions) = w.storage {
            let k = codebook.count
            let codebookName = weight + ONNXWriter.codebookSuffix, codesName = weight + ONNXWriter.codesSuffix
            floats(codebookName, dims: [k], codebook)
            entry.codebook = codebookName
            entry.codes = codesName
            entry.codebookSize = k
            if k < 1 << 16 {
                // UINT16, K at pruned positions.
                var full = [UInt16](repeating: UInt16(k), count: w.elementCount)
                if let positions {
                    for (p, c) in zip(positions, codes) { full[Int(p)] = c }
                    entry.prunedCode = k
                } else {
                    full = codes
                }
                initializer(codesName, type: .uint16, dims: dims, raw: Self.littleEndian(full))
            } else {
                // INT32, -1 at pruned positions.
                var full = [Int32](repeating: -1, count: w.elementCount)
                if let positions {
                    for (p, c) in zip(positions, codes) { full[Int(p)] = Int32(c) }
                    entry.prunedCode = -1
                } else {
                    full = codes.map { Int32($0) }
                }
                initializer(codesName, type: .int32, dims: dims, raw: Self.littleEndian(full))
            }
        }
        if entry.mask != nil || entry.codes != nil { compression.append((layer.name, entry)) }
        var bias: String?
        if !p.bias.isEmpty {
            let name = fresh("\(layer.name).bias")
            floats(name, dims: [p.bias.count], p.bias)
            bias = name
        }
        return (weight, bias)
    }

    /// The `squeeze.compression` JSON, or nil when no layer is compressed.
    func compressionJSON() -> String? {
        guard !compression.isEmpty else { return nil }
        var layers: [String: Any] = [:]
        for (layer, entry) in compression { layers[layer] = entry.json }
        let object: [String: Any] = [
            "format": 1,
            "layers": layers,
            "rule": "weights W: W_mask UINT8 1 = kept; W_codebook FLOAT [K]; W_codes per weight, pruned_code where pruned",
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }
}
