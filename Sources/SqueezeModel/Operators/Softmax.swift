import SqueezeKernels

/// Softmax along `axis` (not the batch axis).
public struct Softmax: Operator, Hashable {
    public static let typeName = "Softmax"

    /// The axis, negative counting from the last.
    public var axis: Int

    /// A softmax.
    public init(axis: Int = 1) { self.axis = axis }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        axis = try r.int("axis", default: 1)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("axis", axis, default: 1)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let a = try check.axis(axis, rank: inputs[0].rank, "softmax")
        guard a >= 1 else { throw check.invalid("softmax along the batch axis is not supported") }
        return LayerShapes(inputs: inputs, outputs: inputs)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0]
        let a = Layer.normalizedAxis(axis, rank: x.rank) ?? 1
        return Kernel(outer: x.dimensions[1..<a].reduce(1, *), classes: x.dimensions[a],
                      inner: x.dimensions[(a + 1)...].reduce(1, *))
    }

    private struct Kernel: LayerKernel {
        let outer: Int, classes: Int, inner: Int

        func forward(_ a: ForwardArguments) {
            softmax(outer: outer * a.count, classes: classes, inner: inner, input: a.inputs[0], output: a.outputs[0])
        }

        /// `dx = y * (dy - sum over the axis of dy * y)`.
        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            let y = a.outputs[0], dy = a.outputGradients[0]
            for o in 0..<(outer * a.count) {
                for i in 0..<inner {
                    let base = o * classes * inner + i
                    var dot: Float = 0
                    for c in 0..<classes { dot += dy[base + c * inner] * y[base + c * inner] }
                    for c in 0..<classes { dx[base + c * inner] += y[base + c * inner] * (dy[base + c * inner] - dot) }
                }
            }
        }
    }
}
