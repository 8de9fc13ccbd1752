/// A network together with the learned parameters of its weighted layers.
public struct Model: Hashable, Sendable {
    /// The network definition.
    public var network: Network
    /// Parameters by layer name, for every convolution and inner-product layer.
    public var parameters: [String: LayerParameters]

    /// A model; call `validate()` before running it.
    public init(network: Network, parameters: [String: LayerParameters]) {
        self.network = network
        self.parameters = parameters
    }

    /// Checks that shapes infer, that every weighted layer has parameters of the
    /// right shape and form, and that no parameters are left over.
    ///
    /// - Returns: the inferred shapes at the definition's batch size.
    @discardableResult
    public func validate() throws(ModelError) -> NetworkShapes {
        let shapes = try network.inferShapes()
        // Checking every stored weight is most of the work: layers run in
        // parallel; failures are still reported in layer order below.
        let checked = zip(network.layers, shapes.layers).map { layer, layerShapes in
            layerShapes.weight == nil ? nil : parameters[layer.name]
        }
        let weightFailures = checked.concurrentMap(cost: { $0?.weights.storedCount ?? 0 }) { $0?.weights.validationFailure() }
        var seen = Set<String>()
        for ((layer, layerShapes), weightFailure) in zip(zip(network.layers, shapes.layers), weightFailures) {
            guard let expected = layerShapes.weight else { continue }
            guard let p = parameters[layer.name] else { throw .missingWeights(layer: layer.name) }
            seen.insert(layer.name)
            guard p.weights.shape == expected else {
                throw .invalidWeights(layer: layer.name,
                                      reason: "shape \(p.weights.shape), the layer needs \(expected)")
            }
            if let failure = weightFailure {
                throw .invalidWeights(layer: layer.name, reason: failure)
            }
            guard p.bias.count == layerShapes.biasCount else {
                throw .invalidWeights(layer: layer.name,
                                      reason: "\(p.bias.count) biases, the layer needs \(layerShapes.biasCount)")
            }
            guard p.bias.allSatisfy(\.isFinite) else {
                throw .invalidWeights(layer: layer.name, reason: "a bias is not finite")
            }
        }
        if let extra = parameters.keys.sorted().first(where: { !seen.contains($0) }) {
            throw .unexpectedWeights(layer: extra)
        }
        return shapes
    }

    /// The number of weights (without biases) of all weighted layers.
    public var weightCount: Int { parameters.values.reduce(0) { $0 + $1.weights.elementCount } }

    /// The number of non-zero weights.
    public var nonZeroWeightCount: Int { parameters.values.reduce(0) { $0 + $1.weights.nonZeroCount } }
}
