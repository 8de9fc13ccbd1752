import SqueezeKernels

/// Concatenation of the inputs along `axis` (not the batch axis).
public struct Concat: Operator, Hashable {
    public static let typeName = "Concat"

    /// The axis, negative counting from the last.
    public var axis: Int

    /// A concatenation.
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
        try check.arity(inputs, 1...SizeLimits.maximumLayerArity)
        let first = inputs[0]
        let a = try check.axis(axis, rank: first.rank, "concat")
        guard a >= 1 else { throw check.invalid("concatenation along the batch axis is not supported") }
        var output = first
        for shape in inputs.dropFirst() {
            guard shape.rank == first.rank, (0..<first.rank).allSatisfy({ $0 == a || shape[$0] == first[$0] }) else {
                throw check.mismatch("cannot concatenate \(first) and \(shape) along axis \(a)")
            }
            guard let sum = Checked.add(output[a], shape[a]) else { throw check.tooLarge("the concatenated axis \(a) overflows") }
            output[a] = sum
        }
        return LayerShapes(inputs: inputs, outputs: [output])
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0]
        let a = Layer.normalizedAxis(axis, rank: x.rank) ?? 1
        return Kernel(outer: x.dimensions[1..<a].reduce(1, *), chunks: shapes.inputs.map { $0.dimensions[a...].reduce(1, *) })
    }

    /// Per image, `outer` blocks, each made of the inputs' `chunks` in turn.
    private struct Kernel: LayerKernel {
        let outer: Int
        let chunks: [Int]

        func forward(_ a: ForwardArguments) {
            concatenate(outer: outer * a.count, chunks: chunks, inputs: a.inputs, output: a.outputs[0])
        }

        func backward(_ a: BackwardArguments) {
            let total = chunks.reduce(0, +), dy = a.outputGradients[0]
            var offset = 0
            for (target, chunk) in zip(a.inputGradients, chunks) {
                defer { offset += chunk }
                guard let target else { continue }
                for o in 0..<(outer * a.count) {
                    addInPlace(count: chunk, source: dy + o * total + offset, target: target + o * chunk)
                }
            }
        }
    }
}
