/// A permutation of the axes (the channel shuffle of ShuffleNet: reshape to
/// `[N, g, C/g, H, W]`, swap axes 1 and 2, reshape back). The batch axis stays.
public struct Transpose: Operator, Hashable {
    public static let typeName = "Transpose"

    /// Output axis `i` is input axis `permutation[i]`.
    public var permutation: [Int]

    /// A transpose.
    public init(permutation: [Int]) { self.permutation = permutation }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        permutation = try r.ints("perm", default: [])
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a["perm"] = .ints(permutation)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let x = inputs[0]
        guard permutation.sorted() == Array(0..<x.rank) else {
            throw check.invalid("perm \(permutation) is not a permutation of the \(x.rank) axes")
        }
        guard permutation.first == 0 else { throw check.invalid("a transpose must keep the batch axis first") }
        return LayerShapes(inputs: inputs, outputs: [TensorShape(permutation.map { x[$0] })])
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0].withBatch(1).dimensions
        var inputStrides = [Int](repeating: 1, count: x.count)
        for axis in stride(from: x.count - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * x[axis + 1] }
        return Kernel(output: permutation.map { x[$0] }, strides: permutation.map { inputStrides[$0] },
                      size: x.reduce(1, *))
    }

    private struct Kernel: LayerKernel {
        /// Output dimensions and, per output axis, the input stride.
        let output: [Int]
        let strides: [Int]
        let size: Int

        private func forEach(_ body: (_ o: Int, _ i: Int) -> Void) {
            StridedWalk(counts: output, strides: strides, origin: 0).forEach(body)
        }

        func forward(_ a: ForwardArguments) {
            for n in 0..<a.count {
                let x = a.inputs[0] + n * size, y = a.outputs[0] + n * size
                forEach { o, i in y[o] = x[i] }
            }
        }

        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            for n in 0..<a.count {
                let g = dx + n * size, dy = a.outputGradients[0] + n * size
                forEach { o, i in g[i] += dy[o] }
            }
        }
    }
}
