/// A strided window of the input: along each listed axis (not the batch
/// axis) positions `start, start + step, ...` before `end` (ONNX Slice with
/// constant starts, ends, axes and steps; negative values count from the end
/// and are clamped as ONNX clamps them).
public struct Slice: Operator, Hashable {
    public static let typeName = "Slice"

    /// First position per axis.
    public var starts: [Int]
    /// End (exclusive) per axis.
    public var ends: [Int]
    /// The axes.
    public var axes: [Int]
    /// The step per axis (non-zero).
    public var steps: [Int]

    /// A slice.
    public init(starts: [Int], ends: [Int], axes: [Int], steps: [Int]? = nil) {
        self.starts = starts
        self.ends = ends
        self.axes = axes
        self.steps = steps ?? starts.map { _ in 1 }
    }

    public init(attributes: Attributes) throws(AttributeError) {
        var r = AttributeReader(attributes)
        starts = try r.ints("starts", default: [])
        ends = try r.ints("ends", default: [])
        axes = try r.ints("axes", default: [])
        steps = try r.ints("steps", default: starts.map { _ in 1 })
        try r.finish()
    }

    public var attributes: Attributes {
        var a = Attributes()
        a["starts"] = .ints(starts)
        a["ends"] = .ints(ends)
        a["axes"] = .ints(axes)
        a.set("steps", steps, default: starts.map { _ in 1 })
        return a
    }

    /// Per axis of `x`: first position, step and count.
    private func windows(_ x: TensorShape, check: ShapeCheck) throws(ModelError) -> [(start: Int, step: Int, count: Int)] {
        guard starts.count == ends.count, starts.count == axes.count, starts.count == steps.count else {
            throw check.invalid("starts, ends, axes and steps must have the same length")
        }
        var result = x.dimensions.map { (start: 0, step: 1, count: $0) }
        var seen = Set<Int>()
        for k in axes.indices {
            let a = try check.axis(axes[k], rank: x.rank, "slice")
            guard seen.insert(a).inserted else { throw check.invalid("axis \(a) is sliced twice") }
            let d = x[a], step = steps[k]
            guard step != 0, step.magnitude <= UInt(SizeLimits.maximumDimension) else {
                throw check.invalid("slice step \(step) is not allowed")
            }
            func clamp(_ v: Int, _ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(v, low), high) }
            // Operands may be ±2^63 (ONNX's "to the end"): clamp before adding.
            let rawStart = clamp(starts[k], -d - 1, d + 1), rawEnd = clamp(ends[k], -d - 1, d + 1)
            var start = rawStart < 0 ? rawStart + d : rawStart, end = rawEnd < 0 ? rawEnd + d : rawEnd
            let count: Int
            if step > 0 {
                start = clamp(start, 0, d)
                end = clamp(end, 0, d)
                count = end > start ? (end - start + step - 1) / step : 0
            } else {
                start = clamp(start, -1, d - 1)
                end = clamp(end, -1, d - 1)
                count = start > end ? (start - end - step - 1) / -step : 0
            }
            result[a] = (start, step, count)
        }
        guard result[0] == (0, 1, x.batch) else { throw check.invalid("slicing the batch axis is not supported") }
        guard result.allSatisfy({ $0.count > 0 }) else { throw check.mismatch("the slice of \(x) is empty") }
        return result
    }

    public func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes {
        let check = ShapeCheck(layer: layer)
        try check.arity(inputs, 1...1)
        let w = try windows(inputs[0], check: check)
        return LayerShapes(inputs: inputs, outputs: [TensorShape(w.map(\.count))])
    }

    public func makeKernel(_ shapes: LayerShapes) -> any LayerKernel {
        let x = shapes.inputs[0].withBatch(1)
        let w = (try? windows(x, check: ShapeCheck(layer: ""))) ?? []
        var strides = [Int](repeating: 1, count: x.rank)
        for axis in stride(from: x.rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x[axis + 1] }
        return Kernel(counts: w.map(\.count), strides: zip(w, strides).map { $0.step * $1 },
                      origin: zip(w, strides).reduce(0) { $0 + $1.0.start * $1.1 },
                      inputSize: x.elementCount, outputSize: w.reduce(1) { $0 * $1.count })
    }

    private struct Kernel: LayerKernel {
        let counts: [Int]
        let strides: [Int]
        let origin: Int
        let inputSize: Int
        let outputSize: Int

        private func forEach(_ body: (_ o: Int, _ i: Int) -> Void) {
            StridedWalk(counts: counts, strides: strides, origin: origin).forEach(body)
        }

        func forward(_ a: ForwardArguments) {
            for n in 0..<a.count {
                let x = a.inputs[0] + n * inputSize, y = a.outputs[0] + n * outputSize
                forEach { o, i in y[o] = x[i] }
            }
        }

        func backward(_ a: BackwardArguments) {
            guard let dx = a.inputGradients[0] else { return }
            for n in 0..<a.count {
                let g = dx + n * inputSize, dy = a.outputGradients[0] + n * outputSize
                forEach { o, i in g[i] += dy[o] }
            }
        }
    }
}
