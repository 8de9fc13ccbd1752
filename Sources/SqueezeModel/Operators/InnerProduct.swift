import SqueezeKernels

/// A fully connected layer over everything after the batch axis:
/// `y = x W^T + b`, weights `[outputCount, inputs]`.
public struct InnerProduct: WeightedOperator, Hashable {
    public static let typeName = "InnerProduct"

    /// The number of outputs.
    public var outputCount: Int
    /// Whether a bias is added.
    public var hasBias: Bool

    /// A fully connected layer.
    public init(outputCount: Int, hasBias: Bool = true) {
        self.outputCount = outputCount
        self.hasBias = hasBias
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        outputCount = try r.int("num_output")
        hasBias = try r.bool("bias", default: true)
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a.set("num_output", outputCount)
        a.set("bias", hasBias, default: true)
        return a
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        try check.within([outputCount], 1...SizeLimits.maximumDimension, "num_output")
        let x = inputs[0]
        return LayerShapes(inputs: inputs, outputs: [[x.batch, outputCount]],
                           weight: [outputCount, x.itemCount], biasCount: hasBias ? outputCount : 0)
    }

    public func multiplyAccumulates(_ shapes: LayerShapes) -> Int {
        Checked.saturatingMultiply(shapes.weightCount, shapes.inputs[0].batch)
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        Kernel(inputs: shapes.inputs[0].itemCount, outputs: outputCount)
    }

    private struct Kernel: LayerKernel {
        let inputs: Int
        let outputs: Int

        func forward(_ a: ForwardArguments) {
            innerProduct(batch: a.count, inputs: inputs, outputs: outputs, weights: a.weights!, bias: a.bias,
                         input: a.inputs[0], output: a.outputs[0])
        }

        func backward(_ a: BackwardArguments) {
            let k = inputs, n = outputs, dy = a.outputGradients[0]
            BLAS.gemm(transposeA: true, m: n, n: k, k: a.count, a: dy, lda: n, b: a.inputs[0], ldb: k,
                      beta: 1, c: a.weightGradient!, ldc: k)
            if let db = a.biasGradient {
                for i in 0..<a.count { addInPlace(count: n, source: dy + i * n, target: db) }
            }
            if let dx = a.inputGradients[0] {
                BLAS.gemm(m: a.count, n: k, k: n, a: dy, lda: n, b: a.weights!, ldb: k, beta: 1, c: dx, ldc: k)
            }
        }
    }
}
