import RealModule

/// `1 / (1 + e^-x)` (squeeze-and-excitation gates).
public struct Sigmoid: Operator, Hashable {
    public static let typeName = "Sigmoid"
    public static let onnxType: String? = "Sigmoid"

    /// A sigmoid.
    public init() {}

    public init(attributes: Attributes) throws(AttributeError) { try AttributeReader(attributes).finish() }

    public var attributes: Attributes { Attributes() }

    public var placement: OutputPlacement { .inPlace }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        try sameShape(inputs, layer: layer)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        UnaryKernel(size: shapes.inputs[0].itemCount, function: { 1 / (1 + Float.exp(-$0)) },
                    derivative: { _, y in y * (1 - y) })
    }
}
