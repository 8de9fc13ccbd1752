/// A new shape for the same values (ONNX Reshape, Flatten, Squeeze and
/// Unsqueeze): `0` keeps the input's dimension at that axis, `-1` takes what
/// is left. The batch axis must stay the batch axis.
public struct Reshape: Operator, Hashable {
    public static let typeName = "Reshape"

    /// The target shape, batch first (usually `0`).
    public var shape: [Int]

    /// A reshape.
    public init(shape: [Int]) { self.shape = shape }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        shape = try r.ints("shape", default: [])
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a["shape"] = .ints(shape)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let x = inputs[0]
        guard (1...SizeLimits.maximumRank).contains(shape.count) else {
            throw check.invalid("target shape \(shape) must have 1 to \(SizeLimits.maximumRank) dimensions")
        }
        var output: [Int] = []
        var inferred: Int?
        for (axis, d) in shape.enumerated() {
            switch d {
            case 0:
                guard axis < x.rank else { throw check.invalid("dimension 0 at axis \(axis) copies an axis the input lacks") }
                output.append(x[axis])
            case -1:
                guard inferred == nil else { throw check.invalid("target shape \(shape) has more than one -1") }
                inferred = axis
                output.append(1)
            case 1...SizeLimits.maximumDimension:
                output.append(d)
            default:
                throw check.invalid("target dimension \(d) is not allowed")
            }
        }
        let known = try check.product(output, "the target shape")
        if let axis = inferred {
            guard known > 0, x.elementCount % known == 0 else {
                throw check.mismatch("cannot reshape \(x) to \(shape)")
            }
            output[axis] = x.elementCount / known
        }
        guard Checked.product(output) == x.elementCount else { throw check.mismatch("cannot reshape \(x) to \(shape)") }
        guard output[0] == x.batch else { throw check.mismatch("reshaping \(x) to \(shape) would move the batch axis") }
        return LayerShapes(inputs: inputs, outputs: [TensorShape(output)])
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel { CopyKernel(size: shapes.inputs[0].itemCount) }
}

/// Copies values as they are (and adds gradients back as they are).
struct CopyKernel: LayerKernel {
    let size: Int

    func forward(_ a: ForwardArguments) {
        if a.inputs[0] != UnsafePointer(a.outputs[0]) { a.outputs[0].update(from: a.inputs[0], count: a.count * size) }
    }

    func backward(_ a: BackwardArguments) {
        guard let dx = a.inputGradients[0] else { return }
        for i in 0..<(a.count * size) { dx[i] += a.outputGradients[0][i] }
    }
}
