/// `min(max(x, minimum), maximum)`: ReLU6 is `Clip(0, 6)`.
public struct Clip: Operator, Hashable {
    public static let typeName = "Clip"

    /// The lower bound (-infinity for none).
    public var minimum: Float
    /// The upper bound (+infinity for none).
    public var maximum: Float

    /// A clip; ReLU6 by default.
    public init(minimum: Float = 0, maximum: Float = 6) {
        self.minimum = minimum
        self.maximum = maximum
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        minimum = try r.float("min", default: -.infinity)
        maximum = try r.float("max", default: .infinity)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("min", minimum, default: -.infinity)
        a.set("max", maximum, default: .infinity)
        return a
    }

    public var placement: OutputPlacement { .inPlace }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        // min > max is allowed: every value becomes max, as ONNX defines it.
        guard !minimum.isNaN, !maximum.isNaN else {
            throw .invalidParameter(layer: layer, reason: "clip bounds \(minimum) and \(maximum) must be numbers")
        }
        return try sameShape(inputs, layer: layer)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let low = minimum, high = maximum
        return UnaryKernel(size: shapes.inputs[0].itemCount, function: { Swift.min(Swift.max($0, low), high) },
                           derivative: { x, _ in x > low && x < high ? 1 : 0 })
    }
}
