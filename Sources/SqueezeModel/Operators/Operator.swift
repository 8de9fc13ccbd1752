/// What one layer computes: an operator type with its typed attributes.
///
/// Each operator type lives in one file that owns everything about it: its
/// attributes and their encoding, shape inference (with checked arithmetic:
/// attributes and shapes come from files), its parameter and multiply-add
/// counts, and its dense forward and backward passes (`makeKernel`). The
/// ``OperatorRegistry`` lists the types; docs/OPERATORS.md says how to add one.
public protocol Operator: Sendable, CustomStringConvertible {
    /// The type's name in the container, in reports and in messages (`Convolution`).
    static var typeName: String { get }

    /// The ONNX operator this type is one-to-one, with the same attribute
    /// names and one input per blob (`Sigmoid`, `HardSwish`), or nil. Readers
    /// and writers of ONNX map such operators without code of their own.
    static var onnxType: String? { get }

    /// Rebuilds the operator from its attributes (as read from a container).
    init(attributes: Attributes) throws(AttributeError)

    /// The attributes that differ from their defaults.
    var attributes: Attributes { get }

    /// The output shapes, and the weight shape and bias count of a weighted
    /// operator, for the given input shapes; `layer` names the layer in errors.
    func shapes(for inputs: [TensorShape], layer: String) throws(ModelError) -> LayerShapes

    /// Multiply-accumulates per batch of the shapes (`shapes.inputs[0].batch`
    /// images) when every weight is kept; 0 for operators that do not multiply.
    func multiplyAccumulates(_ shapes: LayerShapes) -> Int

    /// Multiply-accumulates when only `keptWeights` of the weights are non-zero.
    func multiplyAccumulates(_ shapes: LayerShapes, keptWeights: Int) -> Int

    /// How the dense engine may place the output (default `.separate`).
    var placement: OutputPlacement { get }

    /// The dense forward and backward passes for one image of `shapes`
    /// (batch 1; the kernel runs any number of images).
    func makeKernel(_ shapes: LayerShapes) -> any LayerKernel
}

/// Where an operator's output may live relative to its first input.
public enum OutputPlacement: Sendable, Hashable {
    /// A buffer of its own.
    case separate
    /// The input's buffer may be overwritten (element-wise operators), when
    /// the layer writes the blob it reads.
    case inPlace
    /// At inference the output is the input (Dropout, Identity): no step runs.
    case alias
}

extension Operator {
    public static var onnxType: String? { nil }

    /// The operator's type name.
    public var typeName: String { Self.typeName }

    public func multiplyAccumulates(_ shapes: LayerShapes) -> Int { 0 }

    public func multiplyAccumulates(_ shapes: LayerShapes, keptWeights: Int) -> Int {
        let dense = multiplyAccumulates(shapes)
        guard shapes.weightCount > 0 else { return dense }
        // Every weight is used the same number of times per batch.
        return Checked.saturatingMultiply(dense / shapes.weightCount, keptWeights)
    }

    public var placement: OutputPlacement { .separate }

    /// Whether the operator has learned weights.
    public var hasWeights: Bool { self is any WeightedOperator }

    /// `Convolution kernel=[3, 3] ...`.
    public var description: String { attributes.isEmpty ? Self.typeName : "\(Self.typeName) \(attributes)" }

    /// Whether two operators are of the same type with the same attributes.
    public func isEqual(to other: any Operator) -> Bool {
        Self.typeName == other.typeName && attributes == other.attributes
    }
}

/// An operator with learned weights (and optionally biases), which the
/// compression stages prune, share and encode.
public protocol WeightedOperator: Operator {}
