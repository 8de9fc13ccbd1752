import SqueezeModel

/// A dense float tensor in row-major (C) order, as tensor files hold one:
/// NumPy `.npy` arrays and ONNX `TensorProto` files (the inputs and expected
/// outputs of ONNX test data). Readers convert other element types to
/// `Float`; writers write float32.
///
/// Reading applies the checks of the other readers: a file of at most
/// ``maximumFileSize``, a shape within ``SizeLimits`` (a dimension may be 0),
/// sizes in checked arithmetic, and the memory planned before it is
/// allocated. Writers return the file's bytes; writing them to disk
/// (atomically) is the caller's business.
public struct HostTensor: Sendable, Hashable {
    /// The dimensions, outermost first; empty for a scalar.
    public var shape: [Int]
    /// The values, as many as the dimensions' product.
    public var values: [Float]

    /// A tensor of `shape` holding `values`; ``shapeFailure`` tells whether they agree.
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// The largest tensor file read: 2 GiB.
    public static let maximumFileSize = Int(Int32.max)

    /// Why ``shape`` does not describe ``values``, or passes a ceiling of
    /// ``SizeLimits``; nil when it does neither. Writers refuse such a tensor.
    public var shapeFailure: String? {
        switch ShapeCheck.elementCount(shape, what: "the tensor") {
        case .failure(let failure):
            return failure.reason
        case .success(let count):
            guard count == values.count else {
                return "the tensor's shape \(shape) needs \(ByteCount.grouped(count)) values, it has "
                    + "\(ByteCount.grouped(values.count))"
            }
            return nil
        }
    }

    /// ``shapeFailure`` as the error writers throw.
    func checkedForWriting() throws(ReaderError) {
        if let failure = shapeFailure { throw .invalidWeights(file: "HostTensor", reason: failure) }
    }
}
