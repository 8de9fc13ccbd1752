import SqueezeModel

/// Converts between Caffe's `NetParameter` and the toolkit's `Network`.
struct CaffeNetworkBuilder {
    /// Names the definition in errors.
    var source: String
    /// Line and column of each `layer` entry, in order, when read from text.
    var layerPositions: [(Int, Int)]

    private func failure(_ index: Int, _ layer: String, _ reason: String) -> ReaderError {
        if index < layerPositions.count {
            let (line, column) = layerPositions[index]
            return .schema(file: source, line: line, column: column, message: "layer '\(layer)': \(reason)")
        }
        return .invalidNetwork(file: source, reason: "layer '\(layer)': \(reason)")
    }

    func network(from parameter: Caffe_NetParameter) throws(ReaderError) -> Network {
        var inputs = try declaredInputs(parameter)
        var layers: [Layer] = []
        for (index, p) in parameter.layer.enumerated() where Self.isIncludedAtTest(p) {
            let name = p.hasName ? p.name : "layer \(index + 1)"
            guard let type = CaffeLayerType(rawValue: p.type) else {
                throw .unsupportedLayer(file: source, layer: name, type: p.type)
            }
            if type == .input {
                guard p.inputParam.shape.count == p.top.count, !p.top.isEmpty else {
                    throw failure(index, name, "an Input layer needs one input_param shape per top")
                }
                for (top, shape) in zip(p.top, p.inputParam.shape) {
                    inputs.append(NetworkInput(name: top, shape: TensorShape(shape.dim.map { Int($0) })))
                }
                continue
            }
            let kind = try layerKind(type, p, index: index, name: name)
            layers.append(Layer(name: name, kind: kind, bottoms: p.bottom, tops: p.top))
        }
        guard !inputs.isEmpty else {
            throw .invalidNetwork(file: source, reason: "the network declares no input (input/input_dim, input_shape or an Input layer)")
        }
        let network = Network(name: parameter.name, inputs: inputs, layers: layers)
        do {
            _ = try network.inferShapes()
        } catch {
            throw .invalidNetwork(file: source, reason: error.description)
        }
        return network
    }

    private func declaredInputs(_ p: Caffe_NetParameter) throws(ReaderError) -> [NetworkInput] {
        if p.input.isEmpty {
            if !p.inputDim.isEmpty || !p.inputShape.isEmpty {
                throw .invalidNetwork(file: source, reason: "input dimensions are given without an input name")
            }
            return []
        }
        if !p.inputShape.isEmpty {
            guard p.inputShape.count == p.input.count else {
                throw .invalidNetwork(file: source, reason: "\(p.input.count) inputs but \(p.inputShape.count) input_shape entries")
            }
            return zip(p.input, p.inputShape).map { NetworkInput(name: $0, shape: TensorShape($1.dim.map { Int($0) })) }
        }
        guard p.inputDim.count == 4 * p.input.count else {
            throw .invalidNetwork(file: source, reason: "\(p.input.count) inputs need \(4 * p.input.count) input_dim values, found \(p.inputDim.count)")
        }
        return p.input.enumerated().map { i, name in
            NetworkInput(name: name, shape: TensorShape(p.inputDim[(4 * i)..<(4 * i + 4)].map { Int($0) }))
        }
    }

    /// Caffe's rule matching for a TEST-phase net with no level or stages.
    static func isIncludedAtTest(_ p: Caffe_LayerParameter) -> Bool {
        func matches(_ rule: Caffe_NetStateRule) -> Bool {
            if rule.hasPhase, rule.phase != .test { return false }
            if rule.hasMinLevel, 0 < rule.minLevel { return false }
            if rule.hasMaxLevel, 0 > rule.maxLevel { return false }
            if !rule.stage.isEmpty { return false }
            return true
        }
        if !p.include.isEmpty { return p.include.contains(where: matches) }
        return !p.exclude.contains(where: matches)
    }

    /// A Caffe repeated-or-h/w spatial parameter.
    private func spatial(_ repeated: [UInt32], h: UInt32?, w: UInt32?, default value: Int,
                         what: String, index: Int, name: String) throws(ReaderError) -> Spatial {
        if let h, let w {
            guard repeated.isEmpty else { throw failure(index, name, "give either \(what) or \(what)_h/\(what)_w, not both") }
            return Spatial(height: Int(h), width: Int(w))
        }
        if h != nil || w != nil { throw failure(index, name, "\(what)_h and \(what)_w must be given together") }
        switch repeated.count {
        case 0: return Spatial(value)
        case 1: return Spatial(Int(repeated[0]))
        case 2: return Spatial(height: Int(repeated[0]), width: Int(repeated[1]))
        default: throw failure(index, name, "\(what) has \(repeated.count) values; only 2-D is supported")
        }
    }

    private func layerKind(_ type: CaffeLayerType, _ p: Caffe_LayerParameter, index: Int, name: String) throws(ReaderError) -> any Operator {
        switch type {
        case .convolution, .depthwiseConvolution, .convolutionDepthwise:
            let c = p.convolutionParam
            guard c.hasNumOutput, c.numOutput > 0 else { throw failure(index, name, "convolution_param.num_output must be positive") }
            guard c.axis == 1 else { throw failure(index, name, "convolution axis \(c.axis) is not supported") }
            let kernel = try spatial(c.kernelSize, h: c.hasKernelH ? c.kernelH : nil, w: c.hasKernelW ? c.kernelW : nil,
                                     default: 0, what: "kernel", index: index, name: name)
            guard kernel.height > 0, kernel.width > 0 else { throw failure(index, name, "the kernel size must be given and positive") }
            let stride = try spatial(c.stride, h: c.hasStrideH ? c.strideH : nil, w: c.hasStrideW ? c.strideW : nil,
                                     default: 1, what: "stride", index: index, name: name)
            let pad = try spatial(c.pad, h: c.hasPadH ? c.padH : nil, w: c.hasPadW ? c.padW : nil,
                                  default: 0, what: "pad", index: index, name: name)
            let dilation = try spatial(c.dilation, h: nil, w: nil, default: 1, what: "dilation", index: index, name: name)
            // The depthwise layer types of MobileNet ports give no group: one per channel.
            let groups = type == .convolution || c.hasGroup ? Int(c.group) : Int(c.numOutput)
            return Convolution(outputChannels: Int(c.numOutput), kernel: kernel, stride: stride, padding: pad,
                               dilation: dilation, groups: groups, hasBias: c.biasTerm)
        case .innerProduct:
            let c = p.innerProductParam
            guard c.hasNumOutput, c.numOutput > 0 else { throw failure(index, name, "inner_product_param.num_output must be positive") }
            guard c.axis == 1 else { throw failure(index, name, "inner product axis \(c.axis) is not supported") }
            guard !c.transpose else { throw failure(index, name, "transposed inner product weights are not supported") }
            return InnerProduct(outputCount: Int(c.numOutput), hasBias: c.biasTerm)
        case .relu:
            return ReLU(negativeSlope: p.reluParam.negativeSlope)
        case .pooling:
            let c = p.poolingParam
            let method: Pooling.Method
            switch c.pool {
            case .max: method = .max
            case .ave: method = .average
            case .stochastic: throw failure(index, name, "STOCHASTIC pooling is not supported")
            }
            let global = c.globalPooling
            let kernel: Spatial
            if global {
                kernel = Spatial(1)
            } else {
                kernel = try spatial(c.hasKernelSize ? [c.kernelSize] : [], h: c.hasKernelH ? c.kernelH : nil,
                                     w: c.hasKernelW ? c.kernelW : nil, default: 0, what: "kernel", index: index, name: name)
                guard kernel.height > 0, kernel.width > 0 else { throw failure(index, name, "the pooling kernel size must be given and positive") }
            }
            let stride = try spatial(c.hasStride ? [c.stride] : [], h: c.hasStrideH ? c.strideH : nil,
                                     w: c.hasStrideW ? c.strideW : nil, default: 1, what: "stride", index: index, name: name)
            let pad = try spatial(c.hasPad ? [c.pad] : [], h: c.hasPadH ? c.padH : nil, w: c.hasPadW ? c.padW : nil,
                                  default: 0, what: "pad", index: index, name: name)
            return Pooling(method: method, kernel: kernel, stride: stride, padding: pad,
                           isGlobal: global, rounding: c.roundMode == .floor ? .floor : .ceil)
        case .concat:
            let c = p.concatParam
            return Concat(axis: c.hasAxis || !c.hasConcatDim ? Int(c.axis) : Int(c.concatDim))
        case .dropout:
            return Dropout(ratio: p.dropoutParam.dropoutRatio)
        case .lrn:
            let c = p.lrnParam
            return LRN(localSize: Int(c.localSize), alpha: c.alpha, beta: c.beta, k: c.k,
                       region: c.normRegion == .withinChannel ? .withinChannel : .acrossChannels)
        case .softmax:
            return Softmax(axis: Int(p.softmaxParam.axis))
        case .batchNorm:
            guard p.bottom.count == 1 else { throw failure(index, name, "BatchNorm takes one input") }
            return BatchNormalization()
        case .scale:
            let c = p.scaleParam
            guard p.bottom.count == 1, c.axis == 1, c.numAxes == 1 else {
                throw failure(index, name, "only a Scale of one input over the channel axis (axis 1, num_axes 1) is supported")
            }
            return BatchNormalization()
        case .eltwise:
            let c = p.eltwiseParam
            switch c.operation {
            case .prod: return Eltwise(.product)
            case .max: return Eltwise(.max)
            case .sum:
                if c.coeff.isEmpty || c.coeff.allSatisfy({ $0 == 1 }) { return Eltwise(.sum) }
                if c.coeff == [1, -1] { return Eltwise(.difference) }
                throw failure(index, name, "Eltwise SUM with coefficients \(c.coeff) is not supported (1 or 1, -1)")
            }
        case .relu6:
            return Clip(minimum: 0, maximum: 6)
        case .sigmoid:
            return Sigmoid()
        case .clip:
            return Clip(minimum: p.clipParam.min, maximum: p.clipParam.max)
        case .input:
            preconditionFailure("Input layers are handled by the caller")
        }
    }

    /// The Caffe message for `network` (deploy form).
    ///
    /// - Throws: `ReaderError.invalidNetwork` for a layer Caffe has no type for.
    static func netParameter(for network: Network) throws(ReaderError) -> Caffe_NetParameter {
        var net = Caffe_NetParameter()
        net.name = network.name
        for input in network.inputs {
            net.input.append(input.name)
            var shape = Caffe_BlobShape()
            shape.dim = input.shape.dimensions.map { Int64(clamping: $0) }
            net.inputShape.append(shape)
        }
        for layer in network.layers {
            guard let p = layerParameter(layer) else {
                throw .invalidNetwork(file: network.name, reason: "layer '\(layer.name)' is a \(layer.kind.typeName), which has no Caffe layer type")
            }
            net.layer.append(p)
        }
        return net
    }

    private static func layerParameter(_ layer: Layer) -> Caffe_LayerParameter? {
        var p = Caffe_LayerParameter()
        p.name = layer.name
        p.type = layer.kind.typeName
        p.bottom = layer.bottoms
        p.top = layer.tops
        func spatial(_ s: Spatial, default value: Int, set: (UInt32?, UInt32?, UInt32?) -> Void) {
            if s.height == s.width {
                if s.height != value { set(UInt32(clamping: s.height), nil, nil) }
            } else {
                set(nil, UInt32(clamping: s.height), UInt32(clamping: s.width))
            }
        }
        switch layer.kind {
        case let c as Convolution:
            guard c.paddingEnd == c.padding else { return nil }
            var q = Caffe_ConvolutionParameter()
            q.numOutput = UInt32(clamping: c.outputChannels)
            if !c.hasBias { q.biasTerm = false }
            if c.groups != 1 { q.group = UInt32(clamping: c.groups) }
            spatial(c.kernel, default: 0) { both, h, w in
                if let both { q.kernelSize = [both] } else { q.kernelH = h!; q.kernelW = w! }
            }
            spatial(c.stride, default: 1) { both, h, w in
                if let both { q.stride = [both] } else { q.strideH = h!; q.strideW = w! }
            }
            spatial(c.padding, default: 0) { both, h, w in
                if let both { q.pad = [both] } else { q.padH = h!; q.padW = w! }
            }
            if c.dilation != Spatial(1) { q.dilation = [UInt32(clamping: c.dilation.height), UInt32(clamping: c.dilation.width)] }
            p.convolutionParam = q
        case let c as InnerProduct:
            var q = Caffe_InnerProductParameter()
            q.numOutput = UInt32(clamping: c.outputCount)
            if !c.hasBias { q.biasTerm = false }
            p.innerProductParam = q
        case let r as ReLU:
            if r.negativeSlope != 0 { p.reluParam.negativeSlope = r.negativeSlope }
        case let c as Pooling:
            guard c.paddingEnd == c.padding, c.countsPadding else { return nil }
            var q = Caffe_PoolingParameter()
            q.pool = c.method == .max ? .max : .ave
            if c.isGlobal {
                q.globalPooling = true
            } else {
                spatial(c.kernel, default: 0) { both, h, w in
                    if let both { q.kernelSize = both } else { q.kernelH = h!; q.kernelW = w! }
                }
                spatial(c.stride, default: 1) { both, h, w in
                    if let both { q.stride = both } else { q.strideH = h!; q.strideW = w! }
                }
            }
            spatial(c.padding, default: 0) { both, h, w in
                if let both { q.pad = both } else { q.padH = h!; q.padW = w! }
            }
            if c.rounding == .floor { q.roundMode = .floor }
            p.poolingParam = q
        case let c as Concat:
            if c.axis != 1 { p.concatParam.axis = Int32(clamping: c.axis) }
        case let d as Dropout:
            p.dropoutParam.dropoutRatio = d.ratio
        case let c as LRN:
            var q = Caffe_LRNParameter()
            q.localSize = UInt32(clamping: c.localSize)
            q.alpha = c.alpha
            q.beta = c.beta
            q.k = c.k
            if c.region == .withinChannel { q.normRegion = .withinChannel }
            p.lrnParam = q
        case let s as Softmax:
            if s.axis != 1 { p.softmaxParam.axis = Int32(clamping: s.axis) }
        default:
            return nil
        }
        return p
    }
}
