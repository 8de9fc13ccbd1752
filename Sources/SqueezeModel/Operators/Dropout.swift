/// Dropout: the identity at inference; in training passes each value is kept
/// with probability `1 - ratio` and scaled by `1 / (1 - ratio)` (Caffe's
/// inverted dropout), its mask kept for the backward pass.
public struct Dropout: Operator, Hashable {
    public static let typeName = "Dropout"

    /// The probability of dropping a value.
    public var ratio: Float

    /// A dropout layer.
    public init(ratio: Float = 0.5) { self.ratio = ratio }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        ratio = try r.float("ratio", default: 0.5)
        try r.finish()
        guard ratio >= 0, ratio < 1 else { throw AttributeError("attribute 'ratio' \(ratio) is outside [0, 1)") }
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("ratio", ratio, default: 0.5)
        return a
    }

    public var placement: OutputPlacement { .alias }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        guard ratio >= 0, ratio < 1 else { throw check.invalid("dropout ratio \(ratio) is outside [0, 1)") }
        return LayerShapes(inputs: inputs, outputs: inputs)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        Kernel(size: shapes.inputs[0].itemCount, ratio: ratio)
    }

    private struct Kernel: LayerKernel {
        let size: Int
        let ratio: Float

        var stateCount: Int { size }

        func forward(_ a: ForwardArguments) {
            let x = a.inputs[0], y = a.outputs[0], total = a.count * size
            let mask = a.state?.assumingMemoryBound(to: Float.self)
            guard let pass = a.training, ratio > 0, let mask else {
                mask?.update(repeating: 1, count: total)
                if x != UnsafePointer(y) { y.update(from: x, count: total) }
                return
            }
            let scale = 1 / (1 - ratio)
            for image in 0..<a.count {
                var random = SeededGenerator(seed: pass.seed, stream: UInt64(image), UInt64(pass.layerIndex))
                let base = image * size
                for i in 0..<size {
                    mask[base + i] = random.nextUnitFloat() < ratio ? 0 : scale
                    y[base + i] = x[base + i] * mask[base + i]
                }
            }
        }

        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0], let mask = a.state?.assumingMemoryBound(to: Float.self) else { return }
            let dy = a.outputGradients[0]
            for i in 0..<(a.count * size) { dx[i] += dy[i] * mask[i] }
        }
    }
}
