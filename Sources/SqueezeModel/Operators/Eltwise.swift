/// An element-wise combination of its inputs with NumPy broadcasting: sum
/// (residual connections), difference, product (squeeze-and-excitation
/// gating), quotient, maximum, minimum; optionally with a constant operand
/// (ONNX `Add(x, c)` with `c` an initializer).
///
/// Operands are aligned on their last axes. Every input blob has the
/// output's rank and batch (axis 0 of a blob is always the batch); other
/// axes of extent 1 broadcast. A constant may have fewer axes (the same for
/// every image) or the output's rank with batch 1.
public struct Eltwise: Operator, Hashable {
    public static let typeName = "Eltwise"

    /// How operands combine.
    public enum Operation: String, Hashable, Sendable, CaseIterable {
        /// `a + b + ...` (Caffe SUM, ONNX Add).
        case sum
        /// `a - b` (ONNX Sub).
        case difference
        /// `a * b * ...` (Caffe PROD, ONNX Mul).
        case product
        /// `a / b` (ONNX Div).
        case quotient
        /// The largest (Caffe MAX, ONNX Max).
        case max
        /// The smallest (ONNX Min).
        case min
    }

    /// How operands combine.
    public var operation: Operation
    /// A constant operand's values (row-major), or empty for none.
    public var constant: [Float]
    /// The constant's shape.
    public var constantShape: [Int]
    /// Where the constant sits among the operands (0 = before the first input).
    public var constantPosition: Int

    /// An element-wise layer over its inputs, with an optional constant operand.
    public init(_ operation: Operation, constant: [Float] = [], constantShape: [Int] = [], constantPosition: Int = 1) {
        self.operation = operation
        self.constant = constant
        self.constantShape = constantShape
        self.constantPosition = constantPosition
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        operation = try r.choice("operation", default: Operation.sum)
        constantShape = try r.ints("constant_shape", default: [])
        constantPosition = try r.int("constant_position", default: 1)
        constant = try r.floats("constant", default: [])
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("operation", operation.rawValue, default: Operation.sum.rawValue)
        if hasConstant {
            a["constant"] = .floats(constant)
            a.set("constant_shape", constantShape, default: [])
            a.set("constant_position", constantPosition, default: 1)
        }
        return a
    }

    private var hasConstant: Bool { !constant.isEmpty }

    public var placement: OutputPlacement { .separate }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, (hasConstant ? 1 : 2)...SizeLimits.maximumLayerArity)
        if operation == .difference || operation == .quotient {
            guard inputs.count + (hasConstant ? 1 : 0) == 2 else {
                throw check.invalid("\(operation.rawValue) takes exactly two operands")
            }
        }
        var operands = inputs
        if hasConstant {
            try check.within(constantShape, 1...SizeLimits.maximumDimension, "constant dimension")
            guard constantShape.count <= SizeLimits.maximumRank,
                  Checked.product(constantShape) == constant.count else {
                throw check.invalid("the constant has \(constant.count) values for shape \(constantShape)")
            }
            guard constant.allSatisfy(\.isFinite) else { throw check.invalid("the constant has a value that is not finite") }
            guard (0...inputs.count).contains(constantPosition) else {
                throw check.invalid("constant position \(constantPosition) is outside 0...\(inputs.count)")
            }
            operands.insert(TensorShape(constantShape), at: constantPosition)
        }
        let rank = operands.map(\.rank).max() ?? 0
        var output = [Int](repeating: 1, count: rank)
        for shape in operands {
            for (k, d) in shape.dimensions.enumerated() {
                let axis = rank - shape.rank + k
                if d == output[axis] || d == 1 { continue }
                guard output[axis] == 1 else {
                    throw check.mismatch("cannot broadcast \(operands.map(\.description).joined(separator: ", ")) together")
                }
                output[axis] = d
            }
        }
        guard rank >= 1 else { throw check.mismatch("operands have no dimensions") }
        // Blobs carry the batch on axis 0: only constants may have fewer axes.
        if let short = inputs.first(where: { $0.rank != rank }) {
            throw check.mismatch("operand \(short) has fewer axes than the result \(TensorShape(output)); only a constant may")
        }
        for (index, shape) in operands.enumerated() where shape.rank == rank {
            let isConstant = hasConstant && index == constantPosition
            guard isConstant ? shape[0] == 1 : shape[0] == output[0] else {
                throw check.mismatch(isConstant ? "a constant must have batch 1"
                                     : "an operand of batch \(shape[0]) cannot broadcast to batch \(output[0])")
            }
        }
        return LayerShapes(inputs: inputs, outputs: [TensorShape(output)])
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let output = shapes.outputs[0].withBatch(1).dimensions
        var operands = shapes.inputs.map { Operand(shape: $0.rank == output.count ? $0.withBatch(1).dimensions : $0.dimensions,
                                                   rank: output.count, perImage: $0.rank == output.count) }
        if hasConstant {
            operands.insert(Operand(shape: constantShape, rank: output.count, perImage: false), at: constantPosition)
        }
        return Kernel(operation: operation, output: output, operands: operands,
                      constant: hasConstant ? constantPosition : nil, values: constant)
    }

    /// One operand's strides over the output's axes (0 where it broadcasts).
    struct Operand: Sendable {
        let strides: [Int]
        let size: Int
        let perImage: Bool

        init(shape: [Int], rank: Int, perImage: Bool) {
            let padded = [Int](repeating: 1, count: rank - shape.count) + shape
            var strides = [Int](repeating: 0, count: rank)
            var step = 1
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                strides[axis] = padded[axis] == 1 ? 0 : step
                step *= padded[axis]
            }
            self.strides = strides
            self.size = step
            self.perImage = perImage
        }
    }

    private struct Kernel: LayerKernel {
        let operation: Operation
        let output: [Int]
        let operands: [Operand]
        let constant: Int?
        let values: [Float]

        var outputSize: Int { output.reduce(1, *) }

        /// Calls `body(o, offsets)` for every output position of one image,
        /// with each operand's offset.
        private func forEachPosition(_ body: (Int, [Int]) -> Void) {
            let rank = output.count
            var index = [Int](repeating: 0, count: rank)
            var offsets = [Int](repeating: 0, count: operands.count)
            for o in 0..<outputSize {
                body(o, offsets)
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    for k in operands.indices { offsets[k] += operands[k].strides[axis] }
                    if index[axis] < output[axis] { break }
                    for k in operands.indices { offsets[k] -= operands[k].strides[axis] * output[axis] }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }

        /// The operand pointers for image `n`.
        private func pointers(_ inputs: [UnsafePointer<Float>], constant c: UnsafePointer<Float>, image n: Int) -> [UnsafePointer<Float>] {
            var result: [UnsafePointer<Float>] = []
            var next = 0
            for (k, operand) in operands.enumerated() {
                if k == constant { result.append(c); continue }
                result.append(inputs[next] + (operand.perImage ? n * operand.size : 0))
                next += 1
            }
            return result
        }

        private func combine(_ a: Float, _ b: Float) -> Float {
            switch operation {
            case .sum: a + b
            case .difference: a - b
            case .product: a * b
            case .quotient: a / b
            case .max: Swift.max(a, b)
            case .min: Swift.min(a, b)
            }
        }

        func forward(_ a: ForwardArguments) {
            values.withUnsafeBufferPointer { c in
                let same = operands.allSatisfy { $0.size == outputSize }
                for n in 0..<a.count {
                    let x = pointers(a.inputs, constant: c.baseAddress ?? a.inputs[0], image: n)
                    let y = a.outputs[0] + n * outputSize
                    if same {
                        for o in 0..<outputSize { y[o] = x[0][o] }
                        for k in 1..<x.count {
                            let xk = x[k]
                            for o in 0..<outputSize { y[o] = combine(y[o], xk[o]) }
                        }
                    } else {
                        forEachPosition { o, offsets in
                            var v = x[0][offsets[0]]
                            for k in 1..<x.count { v = combine(v, x[k][offsets[k]]) }
                            y[o] = v
                        }
                    }
                }
            }
        }

        func backward(_ a: BackwardArguments) {
            values.withUnsafeBufferPointer { c in
                var gradients: [UnsafeMutablePointer<Float>?] = []
                var next = 0
                for k in operands.indices {
                    if k == constant { gradients.append(nil); continue }
                    gradients.append(a.inputGradients[next])
                    next += 1
                }
                for n in 0..<a.count {
                    let x = pointers(a.inputs, constant: c.baseAddress ?? a.inputs[0], image: n)
                    let dx = gradients.enumerated().map { k, g in g.map { $0 + (operands[k].perImage ? n * operands[k].size : 0) } }
                    let dy = a.outputGradients[0] + n * outputSize, y = a.outputs[0] + n * outputSize
                    forEachPosition { o, offsets in
                        let g = dy[o]
                        switch operation {
                        case .sum:
                            for k in dx.indices { dx[k]?[offsets[k]] += g }
                        case .difference:
                            dx[0]?[offsets[0]] += g
                            dx[1]?[offsets[1]] -= g
                        case .product:
                            for k in dx.indices where dx[k] != nil {
                                var others: Float = 1
                                for j in x.indices where j != k { others *= x[j][offsets[j]] }
                                dx[k]![offsets[k]] += g * others
                            }
                        case .quotient:
                            let p = x[0][offsets[0]], q = x[1][offsets[1]]
                            dx[0]?[offsets[0]] += g / q
                            dx[1]?[offsets[1]] -= g * p / (q * q)
                        case .max, .min:
                            // The first operand that gave the result takes the gradient.
                            if let k = x.indices.first(where: { x[$0][offsets[$0]] == y[o] }) { dx[k]?[offsets[k]] += g }
                        }
                    }
                }
            }
        }
    }
}
