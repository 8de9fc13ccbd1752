/// Batch normalisation at inference, folded to a per-channel affine map:
/// `y = x * w[c] + b[c]` with `w = gamma / sqrt(var + epsilon)` and
/// `b = beta - mean * w` (readers fold it into the convolution before it
/// when there is one). Weights `[channels]`, bias `[channels]`.
public struct BatchNormalization: WeightedOperator, Hashable {
    public static let typeName = "BatchNormalization"

    /// A per-channel affine map.
    public init() {}

    public init(attributes: Attributes) throws(AttributeError) { try AttributeReader(attributes).finish() }

    public var attributes: Attributes { Attributes() }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let x = inputs[0]
        guard x.rank >= 2 else { throw check.mismatch("batch normalisation needs a channel axis, got \(x)") }
        return LayerShapes(inputs: inputs, outputs: inputs, weight: [x.channels], biasCount: x.channels)
    }

    public func multiplyAccumulates(_ shapes: LayerShapes) -> Int { shapes.outputs[0].elementCount }

    public func multiplyAccumulates(_ shapes: LayerShapes, keptWeights: Int) -> Int { multiplyAccumulates(shapes) }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0]
        return Kernel(channels: x.channels, plane: x.rank > 2 ? x.dimensions[2...].reduce(1, *) : 1)
    }

    private struct Kernel: LayerKernel {
        let channels: Int
        let plane: Int

        func forward(_ a: ForwardArguments) {
            let w = a.weights!
            for n in 0..<a.count {
                for c in 0..<channels {
                    let base = (n * channels + c) * plane, scale = w[c], shift = a.bias?[c] ?? 0
                    for i in 0..<plane { a.outputs[0][base + i] = a.inputs[0][base + i] * scale + shift }
                }
            }
        }

        func backward(_ a: BackwardArguments) {
            let w = a.weights!, dw = a.weightGradient!, dy = a.outputGradients[0], x = a.inputs[0]
            for n in 0..<a.count {
                for c in 0..<channels {
                    let base = (n * channels + c) * plane
                    var sw: Float = 0, sb: Float = 0
                    for i in 0..<plane {
                        sw += dy[base + i] * x[base + i]
                        sb += dy[base + i]
                        a.inputGradients[0]?[base + i] += dy[base + i] * w[c]
                    }
                    dw[c] += sw
                    a.biasGradient?[c] += sb
                }
            }
        }
    }
}
