/// Every operator type, by name: what a container's graph is decoded with.
public enum OperatorRegistry {
    /// The operator types, in the order docs/OPERATORS.md lists them.
    public static let types: [any Operator.Type] = [
        Convolution.self, InnerProduct.self, ReLU.self, Pooling.self, Concat.self, Dropout.self, LRN.self, Softmax.self,
        Eltwise.self, Clip.self, Sigmoid.self, HardSigmoid.self, BatchNormalization.self, Reshape.self, Transpose.self,
        Split.self, Slice.self,
        HardSwish.self,
    ]

    private static let byName: [String: any Operator.Type] = Dictionary(
        uniqueKeysWithValues: types.map { ($0.typeName, $0) })

    /// The type called `name`, or nil.
    public static func type(named name: String) -> (any Operator.Type)? { byName[name] }

    /// The type that is ONNX's operator `name` one-to-one, or nil.
    public static func type(onnx name: String) -> (any Operator.Type)? { types.first { $0.onnxType == name } }

    /// Every type name.
    public static var names: [String] { types.map { $0.typeName } }

    /// The operator of type `name` with `attributes`.
    ///
    /// - Throws: `AttributeError` for an unknown type or attributes it refuses.
    public static func make(_ name: String, attributes: Attributes) throws(AttributeError) -> any Operator {
        guard let type = byName[name] else { throw AttributeError("unknown operator type '\(name)'") }
        return try type.init(attributes: attributes)
    }
}
