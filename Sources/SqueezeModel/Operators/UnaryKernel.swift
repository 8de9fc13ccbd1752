/// The dense kernel of a parameter-free element-wise operator: `y = f(x)`
/// and `dx += dy * f'(x)`, the derivative given the input and the output.
public struct UnaryKernel: LayerKernel {
    /// Values per image.
    public let size: Int
    /// The function.
    public let function: @Sendable (Float) -> Float
    /// The derivative at `x`, given `y = f(x)`.
    public let derivative: @Sendable (_ x: Float, _ y: Float) -> Float

    /// A kernel over `size` values per image.
    public init(size: Int, function: @escaping @Sendable (Float) -> Float,
                derivative: @escaping @Sendable (_ x: Float, _ y: Float) -> Float) {
        self.size = size
        self.function = function
        self.derivative = derivative
    }

    public func forward(_ a: ForwardArguments) {
        let x = a.inputs[0], y = a.outputs[0]
        for i in 0..<(a.count * size) { y[i] = function(x[i]) }
    }

    public func backward(_ a: BackwardArguments) {
        guard let dx = a.inputGradients[0] else { return }
        let x = a.inputs[0], y = a.outputs[0], dy = a.outputGradients[0]
        for i in 0..<(a.count * size) { dx[i] += dy[i] * derivative(x[i], y[i]) }
    }
}

/// Shapes of a one-input operator whose output is its input's shape.
func sameShape(_ inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
    try ShapeCheck(layer: layer).arity(inputs, 1...1)
    return LayerShapes(inputs: inputs, outputs: inputs)
}
