/// One operator application in an ONNX graph (`NodeProto`), as the file has
/// it: mapping operators to the toolkit's layers is left to its users.
public struct ONNXNode: Sendable, Hashable {
    /// The node's name; for a node the file leaves unnamed, one made from its
    /// operator and its position in the graph (`Conv_3`), unique in the graph.
    public var name: String
    /// The operator (`Conv`, `Relu`).
    public var opType: String
    /// The operator set's domain; empty for ONNX's default set (`ai.onnx`).
    public var domain: String
    /// The names of the input values, in order; an empty name is an optional
    /// input left out (a later one is given).
    public var inputs: [String]
    /// The names of the output values, in order (an empty name: an optional
    /// output not used).
    public var outputs: [String]
    /// The attributes by name.
    public var attributes: [String: ONNXAttribute]
    /// The file the node was read from; the attribute accessors
    /// (``int(_:)``, ...) name it in their errors.
    public var source: String

    /// A node of `opType`.
    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: ONNXAttribute] = [:], source: String = "") {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.source = source
    }
}
