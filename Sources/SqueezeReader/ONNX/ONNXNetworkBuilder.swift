import SqueezeModel

/// Maps an ONNX graph onto the toolkit's operators: one layer per node (a
/// BatchNormalization after a Conv or Gemm that nothing else reads is folded
/// into it), initializers as the layers' weights, constant sub-graphs
/// (`Shape`, `Gather`, `Unsqueeze`, `Concat` on constants: PyTorch's flatten)
/// computed at import. Opsets 11 to 21 of the default domain.
///
/// A node the toolkit has no operator for is refused, naming its type and
/// the node.
public struct ONNXNetworkBuilder {
    /// The opsets read.
    public static let opsets = 11...21

    /// The operator types read: these and every operator's `onnxType`.
    public static var supportedTypes: [String] { mappedTypes + OperatorRegistry.types.compactMap { $0.onnxType } }

    private static let mappedTypes: [String] = [
        "Conv", "Gemm", "MatMul", "Relu", "LeakyRelu", "Clip",
        "Add", "Sub", "Mul", "Div", "Max", "Min", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Concat", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Split", "Slice", "BatchNormalization",
        "Softmax", "Dropout", "Identity", "LRN", "Constant", "Shape", "Gather", "Cast",
    ]

    private let onnx: ONNXModel
    private let source: String
    private var layers: [Layer] = []
    private var parameters: [String: LayerParameters] = [:]
    private var shapes: [String: TensorShape] = [:]
    private var constants: [String: ONNXTensor] = [:]
    private var aliases: [String: String] = [:]
    private var layerNames = Set<String>()
    /// How many nodes (and graph outputs) read each tensor.
    private var readers: [String: Int] = [:]

    /// Builds the model of `onnx`; `source` names the file in errors.
    public static func model(_ onnx: ONNXModel, source: String) throws(ReaderError) -> Model {
        var builder = ONNXNetworkBuilder(onnx: onnx, source: source)
        return try builder.build()
    }

    private init(onnx: ONNXModel, source: String) {
        self.onnx = onnx
        self.source = source
    }

    private func failure(_ node: ONNXNode?, _ reason: String) -> ReaderError {
        guard let node else { return .invalidNetwork(file: source, reason: reason) }
        return .invalidNetwork(file: source, reason: "node '\(node.name)' (\(node.opType)): \(reason)")
    }

    private mutating func build() throws(ReaderError) -> Model {
        guard Self.opsets.contains(onnx.opsetVersion) else {
            throw failure(nil, "opset \(onnx.opsetVersion) is not supported (\(Self.opsets.lowerBound) to \(Self.opsets.upperBound))")
        }
        constants = onnx.initializers
        let inputs = onnx.inputs.filter { constants[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw failure(nil, "the graph has \(inputs.count) inputs besides its initializers; one is supported")
        }
        guard let dims = input.dimensions, !dims.isEmpty else { throw failure(nil, "input '\(input.name)' has no shape") }
        var shape: [Int] = []
        for (axis, d) in dims.enumerated() {
            switch d {
            case .value(let v) where v > 0: shape.append(v)
            case .symbol, .unknown, .value: 
                guard axis == 0 else { throw failure(nil, "input '\(input.name)' has an unknown extent at axis \(axis)") }
                shape.append(1)
            }
        }
        let networkInput = NetworkInput(name: input.name, shape: TensorShape(shape))
        if let failure = networkInput.shape.limitFailure { throw self.failure(nil, "input '\(input.name)': \(failure)") }
        shapes[input.name] = networkInput.shape
        for node in onnx.nodes { for name in node.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        for output in onnx.outputs { readers[output.name, default: 0] += 1 }
        for node in onnx.nodes {
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw failure(node, "domain '\(node.domain)' is not supported")
            }
            try add(node)
        }
        // The engines run to the last blob no layer reads: when the graph's
        // declared output is not that one (a Split whose other part nobody
        // reads), an identity layer at the end makes it so.
        if onnx.outputs.count == 1, let declared = onnx.outputs.first?.name,
           Network(name: "", inputs: [networkInput], layers: layers).outputNames.last != resolve(declared) {
            let source = resolve(declared)
            guard shapes[source] != nil else { throw failure(nil, "the graph's output '\(declared)' is not computed by the network") }
            var name = "output", k = 2
            while layerNames.contains(name) { name = "output_\(k)"; k += 1 }
            layers.append(Layer(name: name, kind: Dropout(ratio: 0), bottoms: [source], tops: [declared == source ? declared + "_out" : declared]))
        }
        let network = Network(name: onnx.graphName, inputs: [networkInput], layers: layers)
        let model = Model(network: network, parameters: parameters).foldingBatchNormalization()
        do { try model.validate() } catch { throw .invalidNetwork(file: source, reason: error.description) }
        return try Self.restoringCompression(model, from: onnx, source: source)
    }

    // MARK: Tensors

    private func resolve(_ name: String) -> String { aliases[name] ?? name }

    private func constant(_ name: String) -> ONNXTensor? { constants[resolve(name)] }

    /// The shape of a runtime tensor.
    private func shape(_ name: String, _ node: ONNXNode) throws(ReaderError) -> TensorShape {
        guard let s = shapes[resolve(name)] else {
            throw failure(node, constants[resolve(name)] != nil ? "input '\(name)' is a constant where a tensor computed by the network is needed"
                                                         : "input '\(name)' is produced by no earlier node")
        }
        return s
    }

    private func input(_ node: ONNXNode, _ index: Int) -> String? {
        index < node.inputs.count && !node.inputs[index].isEmpty ? node.inputs[index] : nil
    }

    private func constantInput(_ node: ONNXNode, _ index: Int, _ what: String) throws(ReaderError) -> ONNXTensor? {
        guard let name = input(node, index) else { return nil }
        guard let t = constant(name) else { throw failure(node, "\(what) '\(name)' must be a constant (an initializer)") }
        return t
    }

    private func ints(_ t: ONNXTensor) -> [Int] {
        switch t.values {
        case .int64(let v): v.map { Int(clamping: $0) }
        case .float(let v): v.map { $0.isFinite ? Int(clamping: Int64($0)) : 0 }
        }
    }

    private func floats(_ t: ONNXTensor) -> [Float] { t.values.floats }

    /// Adds a layer for `node` reading runtime tensors `bottoms`.
    private mutating func emit(_ node: ONNXNode, _ op: any Operator, bottoms: [String], tops: [String]? = nil,
                               parameters p: LayerParameters? = nil) throws(ReaderError) {
        var name = node.name.isEmpty ? "\(node.opType)_\(layers.count)" : node.name
        if layerNames.contains(name) {
            var k = 2
            while layerNames.contains("\(name)_\(k)") { k += 1 }
            name = "\(name)_\(k)"
        }
        let outputs = tops ?? Array(node.outputs.prefix(1))
        let layer = Layer(name: name, kind: op, bottoms: bottoms.map(resolve), tops: outputs)
        var inputShapes: [TensorShape] = []
        for b in bottoms { inputShapes.append(try shape(b, node)) }
        let s: LayerShapes
        do { s = try layer.shapes(for: inputShapes) } catch { throw failure(node, error.description) }
        for (top, sh) in zip(outputs, s.outputs) {
            if let limit = sh.limitFailure { throw failure(node, limit) }
            shapes[top] = sh
        }
        layerNames.insert(name)
        layers.append(layer)
        if let p { parameters[name] = p }
    }

    // MARK: Nodes

    private mutating func add(_ node: ONNXNode) throws(ReaderError) {
        // Nodes whose every input is a constant are computed now.
        if node.opType != "Constant", !node.inputs.isEmpty, node.inputs.allSatisfy({ $0.isEmpty || constant($0) != nil }),
           let folded = try fold(node) {
            for (name, t) in zip(node.outputs, folded) { constants[name] = t }
            return
        }
        switch node.opType {
        case "Constant":
            try constantNode(node)
        case "Identity", "Dropout":
            guard let x = input(node, 0) else { throw failure(node, "no input") }
            if node.opType == "Dropout", let mode = try constantInput(node, 2, "training_mode"), ints(mode).first ?? 0 != 0 {
                throw failure(node, "training_mode=1 is not supported (the model runs for inference)")
            }
            if node.outputs.count > 1, readers[node.outputs[1], default: 0] > 0 {
                throw failure(node, "the dropout mask output is not supported")
            }
            if let c = constant(x) { constants[node.outputs[0]] = c } else { aliases[node.outputs[0]] = resolve(x) }
        case "Conv":
            try convolution(node)
        case "Gemm", "MatMul":
            try fullyConnected(node)
        case "Relu":
            try emit(node, ReLU(), bottoms: [node.inputs[0]])
        case "LeakyRelu":
            try emit(node, ReLU(negativeSlope: node.float("alpha") ?? 0.01), bottoms: [node.inputs[0]])
        case "Clip":
            var low = try node.float("min") ?? -.infinity, high = try node.float("max") ?? .infinity
            if let t = try constantInput(node, 1, "min") { low = floats(t).first ?? low }
            if let t = try constantInput(node, 2, "max") { high = floats(t).first ?? high }
            try emit(node, Clip(minimum: low, maximum: high), bottoms: [node.inputs[0]])
        case "Add", "Sub", "Mul", "Div", "Max", "Min":
            try elementwise(node)
        case "MaxPool", "AveragePool":
            try pooling(node)
        case "GlobalAveragePool", "GlobalMaxPool":
            try emit(node, Pooling(method: node.opType == "GlobalMaxPool" ? .max : .average, isGlobal: true), bottoms: [node.inputs[0]])
        case "Concat":
            guard let axis = try node.int("axis") else { throw failure(node, "attribute 'axis' is missing") }
            try emit(node, Concat(axis: axis), bottoms: node.inputs.filter { !$0.isEmpty })
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze":
            try reshape(node)
        case "Transpose":
            let x = try shape(node.inputs[0], node)
            try emit(node, Transpose(permutation: node.ints("perm") ?? Array((0..<x.rank).reversed())), bottoms: [node.inputs[0]])
        case "Split":
            try split(node)
        case "Slice":
            try slice(node)
        case "BatchNormalization":
            try batchNormalization(node)
        case "Softmax":
            let x = try shape(node.inputs[0], node)
            let axis = try node.int("axis") ?? (onnx.opsetVersion < 13 ? 1 : -1)
            let a = axis < 0 ? axis + x.rank : axis
            if onnx.opsetVersion < 13, a >= 0, a < x.rank, x.dimensions[(a + 1)...].contains(where: { $0 != 1 }) {
                throw failure(node, "a Softmax of opset \(onnx.opsetVersion) over the flattened axes \(a)... is not supported")
            }
            try emit(node, Softmax(axis: axis), bottoms: [node.inputs[0]])
        case "LRN":
            guard let size = try node.int("size") else { throw failure(node, "attribute 'size' is missing") }
            try emit(node, LRN(localSize: size, alpha: node.float("alpha") ?? 0.0001, beta: node.float("beta") ?? 0.75,
                               k: node.float("bias") ?? 1), bottoms: [node.inputs[0]])
        case "Shape":
            // Shapes are static: the value is known now.
            let dims = try shape(node.inputs[0], node).dimensions
            let start = try node.int("start") ?? 0, end = try node.int("end") ?? dims.count
            func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + dims.count : v, 0), dims.count) }
            let picked = Array(dims[clamp(start)..<max(clamp(start), clamp(end))])
            constants[node.outputs[0]] = ONNXTensor(name: "", dataType: .int64, dimensions: [picked.count],
                                                    values: .int64(picked.map(Int64.init)))
        case "Gather", "Cast":
            throw failure(node, "only supported on values known at import (shapes and constants)")
        default:
            guard let type = OperatorRegistry.type(onnx: node.opType) else {
                throw .unsupportedLayer(file: source, layer: node.name, type: node.opType)
            }
            try oneToOne(node, type)
        }
    }

    /// An operator that is an ONNX operator one-to-one: same attributes, one
    /// input per blob.
    private mutating func oneToOne(_ node: ONNXNode, _ type: any Operator.Type) throws(ReaderError) {
        var attributes = Attributes()
        for (name, value) in node.attributes.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .int(let v): attributes[name] = .int(v)
            case .float(let v): attributes[name] = .float(v)
            case .ints(let v): attributes[name] = .ints(v)
            case .floats(let v): attributes[name] = .floats(v)
            case .string(let v): attributes[name] = .string(v)
            default: throw failure(node, "attribute '\(name)' of type \(value.typeName) is not supported")
            }
        }
        let op: any Operator
        do { op = try type.init(attributes: attributes) } catch { throw failure(node, error.description) }
        try emit(node, op, bottoms: node.inputs.filter { !$0.isEmpty })
    }

    private mutating func constantNode(_ node: ONNXNode) throws(ReaderError) {
        let t: ONNXTensor
        if let v = try node.tensor("value") {
            t = v
        } else if let v = try node.float("value_float") {
            t = ONNXTensor(name: "", dataType: .float, dimensions: [], values: .float([v]))
        } else if let v = try node.floats("value_floats") {
            t = ONNXTensor(name: "", dataType: .float, dimensions: [v.count], values: .float(v))
        } else if let v = try node.int("value_int") {
            t = ONNXTensor(name: "", dataType: .int64, dimensions: [], values: .int64([Int64(v)]))
        } else if let v = try node.ints("value_ints") {
            t = ONNXTensor(name: "", dataType: .int64, dimensions: [v.count], values: .int64(v.map(Int64.init)))
        } else {
            throw failure(node, "a Constant without a numeric value")
        }
        constants[node.outputs[0]] = t
    }

    private func spatialAttributes(_ node: ONNXNode, kernel: [Int], input x: TensorShape, dilations: [Int])
        throws(ReaderError) -> (stride: Spatial, pads: [Int])
    {
        let strides = try node.ints("strides") ?? [1, 1]
        guard strides.count == 2 else { throw failure(node, "only 2-D windows are supported") }
        var pads = try node.ints("pads") ?? [0, 0, 0, 0]
        let autoPad = try node.string("auto_pad") ?? "NOTSET"
        switch autoPad {
        case "NOTSET":
            break
        case "VALID":
            pads = [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            pads = [0, 0, 0, 0]
            for (k, size) in [x.height, x.width].enumerated() {
                let s = strides[k], extent = (kernel[k] - 1) * dilations[k] + 1
                let out = (size + s - 1) / s
                let total = max((out - 1) * s + extent - size, 0)
                let small = total / 2
                pads[k] = autoPad == "SAME_UPPER" ? small : total - small
                pads[k + 2] = total - pads[k]
            }
        default:
            throw failure(node, "auto_pad '\(autoPad)' is not supported")
        }
        guard pads.count == 4 else { throw failure(node, "pads has \(pads.count) values; 2-D windows need 4") }
        return (Spatial(height: strides[0], width: strides[1]), pads)
    }

    private mutating func convolution(_ node: ONNXNode) throws(ReaderError) {
        guard let x0 = input(node, 0), let w = try constantInput(node, 1, "the weights") else {
            throw failure(node, "a Conv needs an input and constant weights")
        }
        let x = try shape(x0, node)
        guard x.rank == 4, w.dimensions.count == 4 else { throw failure(node, "only 2-D convolutions (NCHW) are supported") }
        let kernel = try node.ints("kernel_shape") ?? Array(w.dimensions[2...])
        let dilations = try node.ints("dilations") ?? [1, 1]
        guard kernel.count == 2, dilations.count == 2 else { throw failure(node, "only 2-D convolutions are supported") }
        let (stride, pads) = try spatialAttributes(node, kernel: kernel, input: x, dilations: dilations)
        let bias = try constantInput(node, 2, "the bias").map(floats)
        let op = Convolution(outputChannels: w.dimensions[0], kernel: Spatial(height: kernel[0], width: kernel[1]), stride: stride,
                             padding: Spatial(height: pads[0], width: pads[1]), paddingEnd: Spatial(height: pads[2], width: pads[3]),
                             dilation: Spatial(height: dilations[0], width: dilations[1]), groups: try node.int("group") ?? 1,
                             hasBias: bias != nil)
        try emit(node, op, bottoms: [x0], parameters: LayerParameters(
            weights: WeightTensor(shape: TensorShape(w.dimensions), values: floats(w)), bias: bias ?? []))
    }

    private mutating func fullyConnected(_ node: ONNXNode) throws(ReaderError) {
        guard let x0 = input(node, 0), let b = try constantInput(node, 1, "the weights"), b.dimensions.count == 2 else {
            throw failure(node, "needs a computed input and a constant 2-D weight matrix")
        }
        let x = try shape(x0, node)
        guard x.rank == 2 else { throw failure(node, "the input must be 2-D (flatten it first), got \(x)") }
        var alpha: Float = 1, beta: Float = 1, transB = false
        if node.opType == "Gemm" {
            guard (try node.int("transA") ?? 0) == 0 else { throw failure(node, "transA=1 is not supported") }
            alpha = try node.float("alpha") ?? 1
            beta = try node.float("beta") ?? 1
            transB = (try node.int("transB") ?? 0) == 1
        }
        let k = transB ? b.dimensions[1] : b.dimensions[0], n = transB ? b.dimensions[0] : b.dimensions[1]
        guard k == x[1] else { throw failure(node, "weights \(b.dimensions) do not fit an input of \(x)") }
        let values = floats(b)
        var weights = [Float](repeating: 0, count: n * k)
        for o in 0..<n {
            for i in 0..<k { weights[o * k + i] = alpha * (transB ? values[o * k + i] : values[i * n + o]) }
        }
        var bias: [Float]?
        if node.opType == "Gemm", let c = try constantInput(node, 2, "the bias") {
            let cv = floats(c)
            // Only a C that is the same for every row is a bias: [n], [1, n] or a scalar.
            let perRow = c.dimensions.count <= 2 && c.dimensions.dropLast().allSatisfy { $0 == 1 }
                && (c.dimensions.last.map { $0 == n || $0 == 1 } ?? true)
            guard perRow, cv.count == n || cv.count == 1 else {
                throw failure(node, "a C of shape \(c.dimensions) is not a bias of \(n) outputs")
            }
            bias = (0..<n).map { beta * cv[cv.count == 1 ? 0 : $0] }
        }
        try emit(node, InnerProduct(outputCount: n, hasBias: bias != nil), bottoms: [x0],
                 parameters: LayerParameters(weights: WeightTensor(shape: [n, k], values: weights), bias: bias ?? []))
    }

    private mutating func elementwise(_ node: ONNXNode) throws(ReaderError) {
        let operation: Eltwise.Operation = switch node.opType {
        case "Add": .sum
        case "Sub": .difference
        case "Mul": .product
        case "Div": .quotient
        case "Max": .max
        default: .min
        }
        let operands = node.inputs.filter { !$0.isEmpty }
        var runtime: [String] = []
        var constantOperand: (ONNXTensor, Int)?
        for (k, name) in operands.enumerated() {
            if let c = constant(name) {
                guard constantOperand == nil else { throw failure(node, "more than one constant operand") }
                constantOperand = (c, k)
            } else {
                runtime.append(name)
            }
        }
        let op: Eltwise
        if let (c, position) = constantOperand {
            op = Eltwise(operation, constant: floats(c), constantShape: c.dimensions, constantPosition: position)
        } else {
            op = Eltwise(operation)
        }
        try emit(node, op, bottoms: runtime)
    }

    private mutating func pooling(_ node: ONNXNode) throws(ReaderError) {
        let x = try shape(node.inputs[0], node)
        guard x.rank == 4 else { throw failure(node, "only 2-D pooling (NCHW) is supported") }
        guard let kernel = try node.ints("kernel_shape"), kernel.count == 2 else { throw failure(node, "kernel_shape must have 2 values") }
        let dilations = try node.ints("dilations") ?? [1, 1]
        guard dilations == [1, 1] else { throw failure(node, "dilated pooling is not supported") }
        guard (try node.int("storage_order") ?? 0) == 0 else { throw failure(node, "storage_order=1 is not supported") }
        if node.outputs.count > 1, readers[node.outputs[1], default: 0] > 0 { throw failure(node, "the Indices output is not supported") }
        let (stride, pads) = try spatialAttributes(node, kernel: kernel, input: x, dilations: dilations)
        let op = Pooling(method: node.opType == "MaxPool" ? .max : .average, kernel: Spatial(height: kernel[0], width: kernel[1]),
                         stride: stride, padding: Spatial(height: pads[0], width: pads[1]),
                         paddingEnd: Spatial(height: pads[2], width: pads[3]),
                         rounding: (try node.int("ceil_mode") ?? 0) == 1 ? .ceil : .floor,
                         countsPadding: (try node.int("count_include_pad") ?? 0) == 1)
        try emit(node, op, bottoms: [node.inputs[0]])
    }

    /// Flatten, Reshape, Squeeze and Unsqueeze: the output shape is worked out
    /// now, and must keep the batch axis.
    private mutating func reshape(_ node: ONNXNode) throws(ReaderError) {
        let x = try shape(node.inputs[0], node)
        var out: [Int]
        switch node.opType {
        case "Flatten":
            var axis = try node.int("axis") ?? 1
            if axis < 0 { axis += x.rank }
            guard (0...x.rank).contains(axis) else { throw failure(node, "axis \(axis) is outside the input") }
            out = [x.dimensions[..<axis].reduce(1, *), x.dimensions[axis...].reduce(1, *)]
        case "Reshape":
            guard (try node.int("allowzero") ?? 0) == 0 else { throw failure(node, "allowzero=1 is not supported") }
            guard let t = try constantInput(node, 1, "the shape") else { throw failure(node, "the shape input is missing") }
            out = []
            var inferred: Int?
            for (axis, d) in ints(t).enumerated() {
                switch d {
                case 0:
                    guard axis < x.rank else { throw failure(node, "0 at axis \(axis) copies an axis the input lacks") }
                    out.append(x[axis])
                case -1:
                    guard inferred == nil else { throw failure(node, "more than one -1") }
                    inferred = axis
                    out.append(1)
                case 1...SizeLimits.maximumDimension:
                    out.append(d)
                default:
                    throw failure(node, "target dimension \(d) is not allowed")
                }
            }
            if let axis = inferred {
                let known = out.reduce(1, *)
                guard known > 0, x.elementCount % known == 0 else { throw failure(node, "cannot reshape \(x) to \(ints(t))") }
                out[axis] = x.elementCount / known
            }
        case "Squeeze":
            var axes = try node.ints("axes") ?? []
            if let t = try constantInput(node, 1, "the axes") { axes = ints(t) }
            let normalized = axes.map { $0 < 0 ? $0 + x.rank : $0 }
            out = x.dimensions.enumerated().filter { axis, d in
                normalized.isEmpty ? d != 1 : !normalized.contains(axis)
            }.map(\.element)
        default:  // Unsqueeze
            var axes = try node.ints("axes") ?? []
            if let t = try constantInput(node, 1, "the axes") { axes = ints(t) }
            let rank = x.rank + axes.count
            let normalized = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
            var rest = x.dimensions.makeIterator()
            out = (0..<rank).map { normalized.contains($0) ? 1 : (rest.next() ?? 1) }
        }
        guard out.reduce(1, *) == x.elementCount, out.first == x.batch else {
            throw failure(node, "reshaping \(x) to \(out) would move the batch axis")
        }
        try emit(node, Reshape(shape: [0] + out.dropFirst()), bottoms: [node.inputs[0]])
    }

    private mutating func split(_ node: ONNXNode) throws(ReaderError) {
        let x = try shape(node.inputs[0], node)
        let axis = try node.int("axis") ?? 0
        let a = axis < 0 ? axis + x.rank : axis
        guard (0..<x.rank).contains(a) else { throw failure(node, "axis \(axis) is outside the input") }
        var sizes = try node.ints("split")
        if let t = try constantInput(node, 1, "the split sizes") { sizes = ints(t) }
        if sizes == nil {
            let parts = node.outputs.count
            let chunk = (x[a] + parts - 1) / parts
            sizes = (0..<parts).map { min(chunk, max(x[a] - $0 * chunk, 0)) }
        }
        try emit(node, Split(axis: axis, sizes: sizes ?? []), bottoms: [node.inputs[0]], tops: node.outputs)
    }

    private mutating func slice(_ node: ONNXNode) throws(ReaderError) {
        let x = try shape(node.inputs[0], node)
        guard let starts = try constantInput(node, 1, "starts"), let ends = try constantInput(node, 2, "ends") else {
            throw failure(node, "starts and ends must be constants")
        }
        let s = ints(starts)
        let axes = try constantInput(node, 3, "axes").map(ints) ?? Array(0..<s.count)
        let steps = try constantInput(node, 4, "steps").map(ints) ?? s.map { _ in 1 }
        _ = x
        try emit(node, Slice(starts: s, ends: ints(ends), axes: axes, steps: steps), bottoms: [node.inputs[0]])
    }

    /// A layer of its own; `Model.foldingBatchNormalization` folds it into the
    /// Conv or Gemm that alone produces its input once the graph is built.
    private mutating func batchNormalization(_ node: ONNXNode) throws(ReaderError) {
        guard let x0 = input(node, 0) else { throw failure(node, "no input") }
        var values: [[Float]] = []
        for (k, what) in ["scale", "bias", "mean", "variance"].enumerated() {
            guard let t = try constantInput(node, k + 1, "the \(what)") else { throw failure(node, "the \(what) is missing") }
            values.append(floats(t))
        }
        if node.outputs.count > 1, node.outputs.dropFirst().contains(where: { readers[$0, default: 0] > 0 }) {
            throw failure(node, "training-mode outputs are not supported")
        }
        let x = try shape(x0, node)
        let channels = x.channels
        guard values.allSatisfy({ $0.count == channels }) else { throw failure(node, "parameters do not have \(channels) values") }
        let epsilon = try node.float("epsilon") ?? 1e-5
        let scale = (0..<channels).map { values[0][$0] / (values[3][$0] + epsilon).squareRoot() }
        let shift = (0..<channels).map { values[1][$0] - values[2][$0] * scale[$0] }
        try emit(node, BatchNormalization(), bottoms: [x0],
                 parameters: LayerParameters(weights: WeightTensor(shape: [channels], values: scale), bias: shift))
    }

    // MARK: Constant folding

    /// The outputs of a node whose inputs are all constants, or nil when the
    /// node is not one that is computed at import.
    private func fold(_ node: ONNXNode) throws(ReaderError) -> [ONNXTensor]? {
        let inputs = node.inputs.map { $0.isEmpty ? nil : constant($0) }
        func int64(_ v: [Int], _ dims: [Int]) -> ONNXTensor {
            ONNXTensor(name: "", dataType: .int64, dimensions: dims, values: .int64(v.map(Int64.init)))
        }
        switch node.opType {
        case "Identity", "Cast", "Dropout":
            return inputs[0].map { [$0] }
        case "Unsqueeze", "Squeeze", "Reshape", "Flatten":
            guard let t = inputs[0] else { return nil }
            // Values keep their order; only the dimensions change.
            let count = t.values.count
            var dims: [Int]
            switch node.opType {
            case "Reshape":
                guard let s = inputs.count > 1 ? inputs[1] : nil else { return nil }
                dims = ints(s)
                for (axis, d) in dims.enumerated() where d == 0 {
                    guard axis < t.dimensions.count else { return nil }
                    dims[axis] = t.dimensions[axis]
                }
                if let k = dims.firstIndex(of: -1) {
                    let known = dims.enumerated().reduce(1) { $1.offset == k ? $0 : $0 * max($1.element, 1) }
                    dims[k] = known > 0 ? count / known : 0
                }
            case "Flatten":
                var axis = try node.int("axis") ?? 1
                if axis < 0 { axis += t.dimensions.count }
                guard (0...t.dimensions.count).contains(axis) else { return nil }
                dims = [t.dimensions[..<axis].reduce(1, *), t.dimensions[axis...].reduce(1, *)]
            case "Squeeze":
                var axes = try node.ints("axes") ?? []
                if inputs.count > 1, let a = inputs[1] { axes = ints(a) }
                let rank = t.dimensions.count
                let normalized = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
                dims = t.dimensions.enumerated().filter { axis, d in
                    normalized.isEmpty ? d != 1 : !normalized.contains(axis)
                }.map(\.element)
            default:
                var axes = try node.ints("axes") ?? []
                if inputs.count > 1, let a = inputs[1] { axes = ints(a) }
                dims = t.dimensions
                for a in axes.map({ $0 < 0 ? $0 + t.dimensions.count + axes.count : $0 }).sorted() {
                    dims.insert(1, at: min(max(a, 0), dims.count))
                }
            }
            return [ONNXTensor(name: "", dataType: t.dataType, dimensions: dims, values: t.values)]
        case "Concat":
            let parts = inputs.compactMap { $0 }
            guard parts.allSatisfy({ $0.dimensions.count <= 1 }) else { return nil }
            if parts.allSatisfy({ if case .int64 = $0.values { return true } else { return false } }) {
                let v = parts.flatMap(ints)
                return [int64(v, [v.count])]
            }
            let v = parts.flatMap(floats)
            return [ONNXTensor(name: "", dataType: .float, dimensions: [v.count], values: .float(v))]
        case "Gather":
            guard let data = inputs[0], let indices = inputs.count > 1 ? inputs[1] : nil, data.dimensions.count == 1,
                  (try node.int("axis") ?? 0) == 0 else { return nil }
            let all = ints(data), count = all.count
            let picked = ints(indices).map { $0 < 0 ? $0 + count : $0 }
            guard picked.allSatisfy({ (0..<count).contains($0) }) else { throw failure(node, "index out of range") }
            return [int64(picked.map { all[$0] }, indices.dimensions)]
        case "Add", "Sub", "Mul", "Div":
            guard inputs.count == 2, let a = inputs[0], let b = inputs[1], a.values.count == b.values.count || b.values.count == 1
            else { return nil }
            let x = floats(a), y = floats(b)
            let v = x.indices.map { i -> Float in
                let q = y[y.count == 1 ? 0 : i]
                switch node.opType {
                case "Add": return x[i] + q
                case "Sub": return x[i] - q
                case "Mul": return x[i] * q
                default: return x[i] / q
                }
            }
            if case .int64 = a.values { return [int64(v.map { Int($0) }, a.dimensions)] }
            return [ONNXTensor(name: "", dataType: .float, dimensions: a.dimensions, values: .float(v))]
        default:
            return nil
        }
    }
}
