import SqueezeKernels

/// `max(x, 0) + negativeSlope * min(x, 0)` (leaky when the slope is not 0).
public struct ReLU: Operator, Hashable {
    public static let typeName = "ReLU"

    /// The slope below zero.
    public var negativeSlope: Float

    /// A ReLU.
    public init(negativeSlope: Float = 0) { self.negativeSlope = negativeSlope }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        negativeSlope = try r.float("negative_slope", default: 0)
        try r.finish()
        guard negativeSlope.isFinite else { throw AttributeError("attribute 'negative_slope' is not finite") }
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("negative_slope", negativeSlope, default: 0)
        return a
    }

    public var placement: OutputPlacement { .inPlace }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        guard negativeSlope.isFinite else { throw check.invalid("the ReLU slope \(negativeSlope) is not finite") }
        return LayerShapes(inputs: inputs, outputs: inputs)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        Kernel(size: shapes.inputs[0].itemCount, slope: negativeSlope)
    }

    private struct Kernel: LayerKernel {
        let size: Int
        let slope: Float

        func forward(_ a: ForwardArguments) {
            relu(count: a.count * size, slope: slope, input: a.inputs[0], output: a.outputs[0])
        }

        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            reluBackward(count: a.count * size, slope: slope, input: a.inputs[0], outputGradient: a.outputGradients[0],
                         inputGradient: dx)
        }
    }
}
