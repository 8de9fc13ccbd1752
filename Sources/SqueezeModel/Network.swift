/// A named input of a network with its shape (NCHW; the batch dimension is the
/// definition's, and can be changed when shapes are inferred).
public struct NetworkInput: Hashable, Sendable {
    /// The blob name (`data`).
    public var name: String
    /// The shape, batch first.
    public var shape: TensorShape

    /// An input.
    public init(name: String, shape: TensorShape) {
        self.name = name
        self.shape = shape
    }
}

/// One layer of a network: what it computes and which blobs it reads and writes.
///
/// Blob names follow Caffe: a layer whose top equals its bottom works in place and
/// the name then refers to the newest value.
public struct Layer: Hashable, Sendable {
    /// The unique layer name.
    public var name: String
    /// What the layer computes.
    public var kind: any Operator
    /// The input blob names.
    public var bottoms: [String]
    /// The output blob names.
    public var tops: [String]

    /// A layer.
    public init(name: String, kind: any Operator, bottoms: [String], tops: [String]) {
        self.name = name
        self.kind = kind
        self.bottoms = bottoms
        self.tops = tops
    }

    public static func == (a: Layer, b: Layer) -> Bool {
        a.name == b.name && a.kind.isEqual(to: b.kind) && a.bottoms == b.bottoms && a.tops == b.tops
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(kind.typeName)
        hasher.combine(kind.attributes)
        hasher.combine(bottoms)
        hasher.combine(tops)
    }
}

/// A feed-forward network: inputs and layers in execution order.
public struct Network: Hashable, Sendable {
    /// The network's name.
    public var name: String
    /// The inputs.
    public var inputs: [NetworkInput]
    /// The layers in execution order.
    public var layers: [Layer]

    /// A network.
    public init(name: String, inputs: [NetworkInput], layers: [Layer]) {
        self.name = name
        self.inputs = inputs
        self.layers = layers
    }

    /// The index of the layer called `name`.
    public func layerIndex(named name: String) -> Int? {
        layers.firstIndex { $0.name == name }
    }

    /// The layer called `name`.
    public func layer(named name: String) -> Layer? {
        layerIndex(named: name).map { layers[$0] }
    }

    /// The layers that carry weights, in execution order.
    public var weightedLayers: [Layer] { layers.filter(\.kind.hasWeights) }

    /// The blobs no layer reads after they are last written: the network's outputs,
    /// in the order they are produced.
    public var outputNames: [String] {
        var consumed = Set<String>()
        var outputs: [String] = []
        for layer in layers.reversed() {
            // Reversed here as the layers are, so the final reversal restores their order.
            for top in layer.tops.reversed() where !consumed.contains(top) && !outputs.contains(top) {
                outputs.append(top)
            }
            // A blob read by a later layer is not an output, unless rewritten after.
            for bottom in layer.bottoms where !layer.tops.contains(bottom) { consumed.insert(bottom) }
        }
        return outputs.reversed()
    }
}

extension Network {
    /// The last layer that writes `blob`, or nil for an input or unknown name.
    public func producer(of blob: String) -> Layer? {
        layers.last { $0.tops.contains(blob) }
    }

    /// Whether the network's (last) output is a softmax, i.e. already probabilities.
    public var outputIsProbability: Bool {
        guard let output = outputNames.last, let layer = producer(of: output) else { return false }
        return layer.kind is Softmax
    }
}
