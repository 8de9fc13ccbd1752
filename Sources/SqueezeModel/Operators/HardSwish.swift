/// `x * max(0, min(1, x / 6 + 1/2))`: MobileNet v3's h-swish.
public struct HardSwish: Operator, Hashable {
    public static let typeName = "HardSwish"
    public static let onnxType: String? = "HardSwish"

    /// An h-swish.
    public init() {}

    public init(attributes: Attributes) throws(AttributeError) { try AttributeReader(attributes).finish() }

    public var attributes: Attributes { Attributes() }

    public var placement: OutputPlacement { .inPlace }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        try sameShape(inputs, layer: layer)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        UnaryKernel(size: shapes.inputs[0].itemCount, function: { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) },
                    derivative: { x, _ in x <= -3 ? 0 : x >= 3 ? 1 : x / 3 + 0.5 })
    }
}
