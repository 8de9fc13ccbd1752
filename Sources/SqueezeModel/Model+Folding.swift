extension Model {
    /// The model with every BatchNormalization (a per-channel `x * w + b`)
    /// folded into the Convolution or InnerProduct that produces its input,
    /// where that layer's output is read by nothing else: the producer's rows
    /// are scaled by `w` and its bias becomes `bias * w + b`. Others stay.
    ///
    /// Caffe's `BatchNorm` + `Scale` pairs, read as two such layers, fold
    /// one after the other.
    public func foldingBatchNormalization() -> Model {
        var network = self.network
        var parameters = self.parameters
        var index = 0
        while index < network.layers.count {
            let layer = network.layers[index]
            guard layer.kind is BatchNormalization, layer.bottoms.count == 1, layer.tops.count == 1,
                  let affine = parameters[layer.name],
                  let producer = network.layers[..<index].lastIndex(where: { $0.tops.contains(layer.bottoms[0]) }),
                  network.layers[producer].kind is Convolution || network.layers[producer].kind is InnerProduct,
                  var p = parameters[network.layers[producer].name],
                  Self.readers(of: layer.bottoms[0], writtenBy: producer, in: network) == 1
            else {
                index += 1
                continue
            }
            let scale = affine.weights.denseValues(), shift = affine.bias
            let rows = p.weights.shape[0]
            guard scale.count == rows, shift.count == rows else {
                index += 1
                continue
            }
            var w = p.weights.denseValues()
            let row = w.count / max(rows, 1)
            for r in 0..<rows { for i in 0..<row { w[r * row + i] *= scale[r] } }
            p = LayerParameters(weights: WeightTensor(shape: p.weights.shape, values: w),
                                bias: (0..<rows).map { (p.bias.isEmpty ? 0 : p.bias[$0]) * scale[$0] + shift[$0] })
            var producerLayer = network.layers[producer]
            if var c = producerLayer.kind as? Convolution {
                c.hasBias = true
                producerLayer.kind = c
            } else if var f = producerLayer.kind as? InnerProduct {
                f.hasBias = true
                producerLayer.kind = f
            }
            // The producer now writes the normalised value under its name.
            producerLayer.tops = producerLayer.tops.map { $0 == layer.bottoms[0] ? layer.tops[0] : $0 }
            network.layers[producer] = producerLayer
            parameters[producerLayer.name] = p
            parameters[layer.name] = nil
            network.layers.remove(at: index)
        }
        return Model(network: network, parameters: parameters)
    }

    /// How many later layers (and network outputs) read the value of `blob`
    /// that layer `producer` writes.
    private static func readers(of blob: String, writtenBy producer: Int, in network: Network) -> Int {
        var count = 0
        for layer in network.layers[(producer + 1)...] {
            count += layer.bottoms.filter { $0 == blob }.count
            if layer.tops.contains(blob) { return count }
        }
        return count + (network.outputNames.contains(blob) ? 1 : 0)
    }
}
