import Foundation
import SqueezeModel
internal import SwiftProtobuf

extension ONNXModel {
    /// The decoding options: fields onnx.proto leaves out (subgraphs, sparse
    /// tensors, functions) are dropped rather than kept as bytes.
    static var decodingOptions: BinaryDecodingOptions {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        return options
    }

    /// Scans `bytes` (``ONNXWireScan``), plans the memory, decodes the
    /// message and converts it.
    static func decode<Bytes: SwiftProtobufContiguousBytes>(_ bytes: Bytes, source: String,
                                                            memoryLimit: MemoryLimit) throws(ReaderError) -> ONNXModel {
        guard bytes.count <= maximumFileSize else {
            throw .tooLarge(file: source, reason: "\(ByteCount.describe(bytes.count)) is more than an ONNX model may hold")
        }
        let scan = try Self.scan(bytes, root: .model, what: "an ONNX model", source: source)
        guard scan.nodes <= SizeLimits.maximumLayerCount else {
            throw .tooLarge(file: source, reason: "the graph has \(ByteCount.grouped(scan.nodes)) nodes, more than the "
                                + "\(ByteCount.grouped(SizeLimits.maximumLayerCount)) a network may have")
        }
        var estimate = MemoryEstimate("decoding the ONNX model")
        estimate.add("decoded message", bytes: scan.decodedBytes)
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes, options: decodingOptions)
        } catch {
            throw .invalidNetwork(file: source, reason: "not an ONNX model (\(error))")
        }
        return try ONNXModel(proto, estimate: estimate, source: source, memoryLimit: memoryLimit)
    }

    /// Scans `bytes` as a `root` message; a malformed one is not `what`.
    static func scan<Bytes: SwiftProtobufContiguousBytes>(_ bytes: Bytes, root: ONNXWireScan.Message, what: String,
                                                          source: String) throws(ReaderError) -> ONNXWireScan {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ONNXWireScan.Failure) in try ONNXWireScan(raw, root: root) } }
        switch result {
        case .success(let scan): return scan
        case .failure(let failure):
            let reason = "not \(what) (malformed protobuf: \(failure.reason))"
            throw root == .tensor ? .invalidWeights(file: source, reason: reason) : .invalidNetwork(file: source, reason: reason)
        }
    }

    /// The model `proto` describes. `estimate` holds the decoded message; the
    /// converted tensors are added and checked before any is converted.
    init(_ proto: Onnx_ModelProto, estimate: MemoryEstimate, source: String, memoryLimit: MemoryLimit) throws(ReaderError) {
        guard proto.hasIrVersion else {
            throw .invalidNetwork(file: source, reason: "not an ONNX model: it has no IR version (ir_version)")
        }
        guard proto.hasGraph else { throw .invalidNetwork(file: source, reason: "not an ONNX model: it has no graph") }
        let irVersion = Int(truncatingIfNeeded: proto.irVersion)  // Int is 64-bit where the toolkit runs
        let graph = proto.graph
        let usesDefaultSet = graph.node.contains { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        let (opset, others) = try Self.operatorSets(proto.opsetImport, irVersion: irVersion, usesDefaultSet: usesDefaultSet,
                                                    source: source)

        // Every tensor's layout is checked, and the converted values planned, first.
        var initializerLayouts: [ONNXTensorLayout] = []
        initializerLayouts.reserveCapacity(graph.initializer.count)
        var seen = Set<String>()
        var convertedBytes = 0
        for (index, tensor) in graph.initializer.enumerated() {
            guard !tensor.name.isEmpty else {
                throw .invalidWeights(file: source, reason: "initializer \(index) has no name")
            }
            guard seen.insert(tensor.name).inserted else {
                throw .invalidWeights(file: source, reason: "there are two initializers named \(ONNXText.quoted(tensor.name))")
            }
            let layout = try ONNXTensor.layout(of: tensor, what: "initializer \(ONNXText.quoted(tensor.name))", source: source)
            initializerLayouts.append(layout)
            convertedBytes = Checked.saturatingAdd(convertedBytes, layout.convertedBytes)
        }
        let names = Self.nodeNames(graph.node)
        for (node, name) in zip(graph.node, names) {
            for attribute in node.attribute where ONNXAttribute.type(of: attribute) == .tensor {
                let layout = try ONNXTensor.layout(of: attribute.t, what: ONNXAttribute.what(attribute.name, node: name),
                                                   source: source)
                convertedBytes = Checked.saturatingAdd(convertedBytes, layout.convertedBytes)
            }
        }
        var estimate = estimate
        estimate.add("converted tensors", bytes: convertedBytes)
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }

        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(graph.node.count)
        for (index, (node, name)) in zip(graph.node, names).enumerated() {
            nodes.append(try ONNXNode(node, name: name, index: index, source: source))
        }
        var initializers: [String: ONNXTensor] = [:]
        initializers.reserveCapacity(graph.initializer.count)
        for (tensor, layout) in zip(graph.initializer, initializerLayouts) {
            initializers[tensor.name] = try ONNXTensor(tensor, layout: layout, what: "initializer \(ONNXText.quoted(tensor.name))",
                                                       source: source)
        }
        var inputs: [ONNXValueInfo] = []
        for (index, input) in graph.input.enumerated() where !seen.contains(input.name) {
            inputs.append(try ONNXValueInfo(input, what: "graph input \(index)", source: source))
        }
        var outputs: [ONNXValueInfo] = []
        for (index, output) in graph.output.enumerated() {
            outputs.append(try ONNXValueInfo(output, what: "graph output \(index)", source: source))
        }

        self.irVersion = irVersion
        opsetVersion = opset
        otherOpsets = others
        producerName = proto.producerName
        producerVersion = proto.producerVersion
        graphName = graph.name
        metadata = proto.metadataProps.map { MetadataEntry(key: $0.key, value: $0.value) }
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        initializerNames = graph.initializer.map(\.name)
        self.nodes = nodes
        self.source = source
    }

    /// The default operator set's version and the other domains' versions.
    /// A model of IR version 1 or 2 that imports none uses version 1 (ONNX's
    /// rule); one whose nodes all come from other domains (training
    /// operators) may import none, and gets 0.
    static func operatorSets(_ imports: [Onnx_OperatorSetIdProto], irVersion: Int, usesDefaultSet: Bool,
                             source: String) throws(ReaderError) -> (Int, [String: Int]) {
        var defaultVersion: Int?
        var others: [String: Int] = [:]
        for entry in imports {
            let version = Int(truncatingIfNeeded: entry.version)
            let isDefault = entry.domain.isEmpty || entry.domain == "ai.onnx"
            let domain = isDefault ? "ai.onnx" : entry.domain
            guard version >= (isDefault ? 1 : 0) else {
                throw .invalidNetwork(file: source, reason: "operator set \(ONNXText.quoted(domain)) has version \(version)")
            }
            let previous = isDefault ? defaultVersion : others[domain]
            if let previous, previous != version {
                throw .invalidNetwork(file: source, reason: "operator set \(ONNXText.quoted(domain)) is imported twice, "
                                          + "as versions \(previous) and \(version)")
            }
            if isDefault { defaultVersion = version } else { others[domain] = version }
        }
        guard let version = defaultVersion ?? (irVersion < 3 ? 1 : usesDefaultSet ? nil : 0) else {
            throw .invalidNetwork(file: source, reason: "the model's nodes use ONNX's default operator set but it imports "
                                      + "no version of it (no opset_import for the domain '' or 'ai.onnx')")
        }
        return (version, others)
    }

    /// The nodes' names: a node's own, or for an unnamed node `OpType_index`,
    /// made unique among all names in the graph.
    static func nodeNames(_ nodes: [Onnx_NodeProto]) -> [String] {
        var taken = Set(nodes.lazy.map(\.name).filter { !$0.isEmpty })
        return nodes.enumerated().map { index, node in
            guard node.name.isEmpty else { return node.name }
            var name = "\(node.opType.isEmpty ? "node" : node.opType)_\(index)"
            while taken.contains(name) { name += "_" }
            taken.insert(name)
            return name
        }
    }

    /// Decodes a standalone `TensorProto`: scan, plan, decode, convert.
    /// `extraBytesPerElement` plans what the caller makes of the values.
    static func decodeTensorProto<Bytes: SwiftProtobufContiguousBytes>(
        _ bytes: Bytes, source: String, memoryLimit: MemoryLimit, extraBytesPerElement: Int = 0
    ) throws(ReaderError) -> ONNXTensor {
        guard bytes.count <= maximumFileSize else {
            throw .tooLarge(file: source, reason: "\(ByteCount.describe(bytes.count)) is more than a tensor file may hold")
        }
        let scan = try Self.scan(bytes, root: .tensor, what: "an ONNX tensor", source: source)
        var estimate = MemoryEstimate("decoding the ONNX tensor")
        estimate.add("decoded message", bytes: scan.decodedBytes)
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: bytes, options: decodingOptions)
        } catch {
            throw .invalidWeights(file: source, reason: "not an ONNX tensor (\(error))")
        }
        let what = proto.name.isEmpty ? "the tensor" : "tensor \(ONNXText.quoted(proto.name))"
        let layout = try ONNXTensor.layout(of: proto, what: what, source: source)
        estimate.add("converted values", bytes: layout.convertedBytes)
        estimate.add("values as floats", count: layout.count, elementBytes: extraBytesPerElement)
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }
        return try ONNXTensor(proto, layout: layout, what: what, source: source)
    }
}
