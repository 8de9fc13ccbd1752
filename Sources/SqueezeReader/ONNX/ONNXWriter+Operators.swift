import Foundation
import SqueezeModel

/// Each operator type as standard ONNX nodes: the inverse of the mapping in
/// ``ONNXNetworkBuilder``.
extension ONNXGraphWriter {
    typealias A = ONNXGraphWriter

    mutating func add(_ layer: Layer, index: Int) throws(ReaderError) {
        let layerShapes = shapes.layers[index]
        var inputs: [String] = []
        for bottom in layer.bottoms { inputs.append(try value(bottom, layer)) }
        let name = layer.name

        switch layer.kind {
        case let c as Convolution:
            let (weight, bias) = try parameters(of: layer, layerShapes: layerShapes)
            node("Conv", name: name, inputs: [inputs[0], weight] + (bias.map { [$0] } ?? []), outputs: outputNames(layer, index),
                 attributes: [
                    A.attribute("kernel_shape", ints: c.kernel.pair),
                    A.attribute("strides", ints: c.stride.pair),
                    A.attribute("pads", ints: c.padding.pair + c.paddingEnd.pair),
                    A.attribute("dilations", ints: c.dilation.pair),
                    A.attribute("group", int: c.groups),
                 ])

        case is InnerProduct:
            let (weight, bias) = try parameters(of: layer, layerShapes: layerShapes)
            var x = inputs[0]
            if layerShapes.inputs[0].rank != 2 {
                // Gemm takes a matrix: everything after the batch axis, flattened.
                let flat = fresh("\(x)__flatten")
                node("Flatten", name: fresh("\(name)/flatten"), inputs: [x], outputs: [flat], attributes: [A.attribute("axis", int: 1)])
                x = flat
            }
            node("Gemm", name: name, inputs: [x, weight] + (bias.map { [$0] } ?? []), outputs: outputNames(layer, index),
                 attributes: [A.attribute("transB", int: 1)])

        case is BatchNormalization:
            // The folded per-channel scale and shift: mean 0, variance 1, epsilon 0.
            let (weight, bias) = try parameters(of: layer, layerShapes: layerShapes)
            let channels = layerShapes.inputs[0].channels
            let shift = bias ?? constant("\(name).bias", dims: [channels], [Float](repeating: 0, count: channels))
            let mean = constant("\(name).mean", dims: [channels], [Float](repeating: 0, count: channels))
            let variance = constant("\(name).var", dims: [channels], [Float](repeating: 1, count: channels))
            node("BatchNormalization", name: name, inputs: [inputs[0], weight, shift, mean, variance], outputs: outputNames(layer, index),
                 attributes: [A.attribute("epsilon", float: 0)])

        case let r as ReLU:
            if r.negativeSlope == 0 {
                node("Relu", name: name, inputs: inputs, outputs: outputNames(layer, index))
            } else {
                node("LeakyRelu", name: name, inputs: inputs, outputs: outputNames(layer, index),
                     attributes: [A.attribute("alpha", float: r.negativeSlope)])
            }

        case let c as Clip:
            // Bounds as optional inputs; an infinite one is left out.
            let low = c.minimum.isFinite ? constant("\(name).min", dims: [], [c.minimum]) : ""
            let high = c.maximum.isFinite ? constant("\(name).max", dims: [], [c.maximum]) : ""
            var clipInputs = [inputs[0], low, high]
            while clipInputs.last == "" { clipInputs.removeLast() }
            node("Clip", name: name, inputs: clipInputs, outputs: outputNames(layer, index))

        case is Sigmoid:
            node("Sigmoid", name: name, inputs: inputs, outputs: outputNames(layer, index))

        case let h as HardSigmoid:
            node("HardSigmoid", name: name, inputs: inputs, outputs: outputNames(layer, index),
                 attributes: [A.attribute("alpha", float: h.alpha), A.attribute("beta", float: h.beta)])

        case is HardSwish:
            if opset >= 14 {
                node("HardSwish", name: name, inputs: inputs, outputs: outputNames(layer, index))
            } else {
                // HardSwish is opset 14: x * HardSigmoid(x) with alpha 1/6, beta 1/2, as PyTorch writes it for 13.
                let gate = fresh("\(inputs[0])__\(name)_gate")
                node("HardSigmoid", name: fresh("\(name)/gate"), inputs: inputs, outputs: [gate],
                     attributes: [A.attribute("alpha", float: 1 / 6), A.attribute("beta", float: 0.5)])
                node("Mul", name: name, inputs: [inputs[0], gate], outputs: outputNames(layer, index))
            }

        case let e as Eltwise:
            try eltwise(e, layer: layer, index: index, inputs: inputs)

        case let p as Pooling:
            if p.isGlobal {
                node(p.method == .max ? "GlobalMaxPool" : "GlobalAveragePool", name: name, inputs: inputs, outputs: outputNames(layer, index))
            } else {
                var attributes = [
                    A.attribute("kernel_shape", ints: p.kernel.pair),
                    A.attribute("strides", ints: p.stride.pair),
                    A.attribute("pads", ints: p.padding.pair + p.paddingEnd.pair),
                    A.attribute("ceil_mode", int: p.rounding == .ceil ? 1 : 0),
                ]
                if p.method == .average { attributes.append(A.attribute("count_include_pad", int: p.countsPadding ? 1 : 0)) }
                node(p.method == .max ? "MaxPool" : "AveragePool", name: name, inputs: inputs, outputs: outputNames(layer, index),
                     attributes: attributes)
            }

        case let c as Concat:
            node("Concat", name: name, inputs: inputs, outputs: outputNames(layer, index), attributes: [A.attribute("axis", int: c.axis)])

        case is Dropout:
            // The identity at inference.
            node("Identity", name: name, inputs: inputs, outputs: outputNames(layer, index))

        case let l as LRN:
            guard l.region == .acrossChannels else {
                throw failure(layer, "LRN within a channel has no ONNX operator (ONNX's LRN is across channels)")
            }
            node("LRN", name: name, inputs: inputs, outputs: outputNames(layer, index), attributes: [
                A.attribute("size", int: l.localSize), A.attribute("alpha", float: l.alpha),
                A.attribute("beta", float: l.beta), A.attribute("bias", float: l.k),
            ])

        case let s as Softmax:
            node("Softmax", name: name, inputs: inputs, outputs: outputNames(layer, index), attributes: [A.attribute("axis", int: s.axis)])

        case let r as Reshape:
            let shape = int64s("\(name).shape", r.shape)
            node("Reshape", name: name, inputs: [inputs[0], shape], outputs: outputNames(layer, index))

        case let t as Transpose:
            node("Transpose", name: name, inputs: inputs, outputs: outputNames(layer, index), attributes: [A.attribute("perm", ints: t.permutation)])

        case let s as Split:
            let sizes = int64s("\(name).split", s.sizes)
            node("Split", name: name, inputs: [inputs[0], sizes], outputs: outputNames(layer, index), attributes: [A.attribute("axis", int: s.axis)])

        case let s as Slice:
            let starts = int64s("\(name).starts", s.starts), ends = int64s("\(name).ends", s.ends)
            let axes = int64s("\(name).axes", s.axes), steps = int64s("\(name).steps", s.steps)
            node("Slice", name: name, inputs: [inputs[0], starts, ends, axes, steps], outputs: outputNames(layer, index))

        default:
            // An operator that is an ONNX operator one-to-one: same attributes, one input per blob.
            guard let opType = type(of: layer.kind).onnxType, !layer.kind.hasWeights else {
                throw failure(layer, "the ONNX writer has no mapping for operator '\(layer.kind.typeName)'")
            }
            node(opType, name: name, inputs: inputs, outputs: outputNames(layer, index),
                 attributes: layer.kind.attributes.entries.map { A.attribute($0.name, $0.value) })
        }
    }

    /// An operator attribute as an ONNX one of the same name.
    static func attribute(_ name: String, _ value: AttributeValue) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        switch value {
        case .int(let v): a.type = .int; a.i = Int64(v)
        case .float(let v): a.type = .float; a.f = v
        case .ints(let v): a.type = .ints; a.ints = v.map { Int64($0) }
        case .floats(let v): a.type = .floats; a.floats = v
        case .string(let v): a.type = .string; a.s = Data(v.utf8)
        }
        return a
    }

    /// The ONNX values for the layer's tops. Called after its inputs are
    /// looked up: an in-place layer reads the old value and writes a new one.
    private mutating func outputNames(_ layer: Layer, _ index: Int) -> [String] {
        layer.tops.map { output($0, layer: index) }
    }

    /// Add, Sub, Mul, Div (binary: more operands become a chain, folded left
    /// as the layer combines them) or Max, Min (variadic); a constant operand
    /// becomes an initializer.
    private mutating func eltwise(_ e: Eltwise, layer: Layer, index: Int, inputs: [String]) throws(ReaderError) {
        var operands = inputs
        if !e.constant.isEmpty {
            let c = constant("\(layer.name).constant", dims: e.constantShape, e.constant)
            operands.insert(c, at: min(max(e.constantPosition, 0), operands.count))
        }
        let opType: String
        switch e.operation {
        case .sum: opType = "Add"
        case .difference: opType = "Sub"
        case .product: opType = "Mul"
        case .quotient: opType = "Div"
        case .max: opType = "Max"
        case .min: opType = "Min"
        }
        guard operands.count >= 2 else { throw failure(layer, "an element-wise layer needs two operands") }
        if e.operation == .max || e.operation == .min || operands.count == 2 {
            node(opType, name: layer.name, inputs: operands, outputs: outputNames(layer, index))
            return
        }
        var accumulated = operands[0]
        for k in 1..<(operands.count - 1) {
            let partial = fresh("\(layer.name)__partial\(k)")
            node(opType, name: fresh("\(layer.name)/\(k)"), inputs: [accumulated, operands[k]], outputs: [partial])
            accumulated = partial
        }
        node(opType, name: layer.name, inputs: [accumulated, operands[operands.count - 1]], outputs: outputNames(layer, index))
    }
}
