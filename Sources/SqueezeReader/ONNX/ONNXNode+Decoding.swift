import SqueezeModel

extension ONNXNode {
    /// The node `proto` describes, named `name`, at `index` in the graph.
    init(_ proto: Onnx_NodeProto, name: String, index: Int, source: String) throws(ReaderError) {
        let quoted = ONNXText.quoted(name)
        guard !proto.opType.isEmpty else {
            throw .invalidNetwork(file: source, reason: "node \(quoted) (node \(index) of the graph) has no operator type")
        }
        for (count, what) in [(proto.input.count, "inputs"), (proto.output.count, "outputs")]
        where count > SizeLimits.maximumLayerArity {
            throw .tooLarge(file: source, reason: "node \(quoted) has \(ByteCount.grouped(count)) \(what), more than the "
                                + "\(ByteCount.grouped(SizeLimits.maximumLayerArity)) a layer may have")
        }
        var attributes: [String: ONNXAttribute] = [:]
        for attribute in proto.attribute {
            guard !attribute.name.isEmpty else {
                throw .invalidNetwork(file: source, reason: "node \(quoted) has an attribute without a name")
            }
            guard attributes[attribute.name] == nil else {
                throw .invalidNetwork(file: source, reason: "node \(quoted) has two attributes named \(ONNXText.quoted(attribute.name))")
            }
            attributes[attribute.name] = try ONNXAttribute(attribute, node: name, source: source)
        }
        self.init(name: name, opType: proto.opType, domain: proto.domain, inputs: proto.input, outputs: proto.output,
                  attributes: attributes, source: source)
    }
}
