/// `max(0, min(1, alpha * x + beta))` (ONNX defaults alpha 0.2, beta 0.5;
/// MobileNet v3 uses 1/6 and 0.5).
public struct HardSigmoid: Operator, Hashable {
    public static let typeName = "HardSigmoid"
    public static let onnxType: String? = "HardSigmoid"

    /// The slope.
    public var alpha: Float
    /// The offset.
    public var beta: Float

    /// A hard sigmoid.
    public init(alpha: Float = 0.2, beta: Float = 0.5) {
        self.alpha = alpha
        self.beta = beta
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        alpha = try r.float("alpha", default: 0.2)
        beta = try r.float("beta", default: 0.5)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("alpha", alpha, default: 0.2)
        a.set("beta", beta, default: 0.5)
        return a
    }

    public var placement: OutputPlacement { .inPlace }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        guard alpha.isFinite, beta.isFinite else { throw .invalidParameter(layer: layer, reason: "alpha and beta must be finite") }
        return try sameShape(inputs, layer: layer)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let alpha = alpha, beta = beta
        return UnaryKernel(size: shapes.inputs[0].itemCount, function: { Swift.max(0, Swift.min(1, alpha * $0 + beta)) },
                           derivative: { x, _ in let v = alpha * x + beta; return v > 0 && v < 1 ? alpha : 0 })
    }
}
