/// Splits the input along `axis` (not the batch axis) into parts of the
/// given sizes, one output each.
public struct Split: Operator, Hashable {
    public static let typeName = "Split"

    /// The axis, negative counting from the last.
    public var axis: Int
    /// The size of each part along the axis.
    public var sizes: [Int]

    /// A split.
    public init(axis: Int = 1, sizes: [Int]) {
        self.axis = axis
        self.sizes = sizes
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        axis = try r.int("axis", default: 1)
        sizes = try r.ints("split", default: [])
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("axis", axis, default: 1)
        a["split"] = .ints(sizes)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let x = inputs[0]
        let a = try check.axis(axis, rank: x.rank, "split")
        guard a >= 1 else { throw check.invalid("splitting along the batch axis is not supported") }
        guard !sizes.isEmpty else { throw check.invalid("a split needs at least one part") }
        try check.within(sizes, 0...SizeLimits.maximumDimension, "split size")
        guard sizes.reduce(0, +) == x[a] else {
            throw check.mismatch("parts \(sizes) do not add up to \(x[a]) along axis \(a)")
        }
        return LayerShapes(inputs: inputs, outputs: sizes.map { var y = x; y[a] = $0; return y })
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0]
        let a = Layer.normalizedAxis(axis, rank: x.rank) ?? 1
        let inner = x.dimensions[(a + 1)...].reduce(1, *)
        return Kernel(outer: x.dimensions[1..<a].reduce(1, *), chunks: sizes.map { $0 * inner })
    }

    /// Per image, `outer` blocks, each cut into the outputs' `chunks` in turn.
    private struct Kernel: LayerKernel {
        let outer: Int
        let chunks: [Int]

        func forward(_ a: ForwardArguments) {
            let total = chunks.reduce(0, +)
            var offset = 0
            for (y, chunk) in zip(a.outputs, chunks) {
                for o in 0..<(outer * a.count) { (y + o * chunk).update(from: a.inputs[0] + o * total + offset, count: chunk) }
                offset += chunk
            }
        }

        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            let total = chunks.reduce(0, +)
            var offset = 0
            for (dy, chunk) in zip(a.outputGradients, chunks) {
                for o in 0..<(outer * a.count) {
                    for i in 0..<chunk { dx[o * total + offset + i] += dy[o * chunk + i] }
                }
                offset += chunk
            }
        }
    }
}
