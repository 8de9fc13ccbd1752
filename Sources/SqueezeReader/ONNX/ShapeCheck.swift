import SqueezeModel

/// The size ceilings (``SizeLimits``) applied to the shape of a tensor read
/// from a file, with checked arithmetic: ONNX tensors, `.npy` arrays and
/// `HostTensor`s. Unlike a network's `TensorShape`, a dimension may be 0 (an
/// empty tensor, which ONNX models use, for example, for omitted inputs).
enum ShapeCheck {
    /// The element count of a tensor of `dimensions` (1 for a scalar), or the
    /// reason it passes a ceiling: more than ``SizeLimits/maximumRank``
    /// dimensions, a negative one, one above ``SizeLimits/maximumDimension``,
    /// or more than ``SizeLimits/maximumElementCount`` elements. `what` names
    /// the tensor in the reason.
    static func elementCount(_ dimensions: [Int], what: String) -> Result<Int, ShapeFailure> {
        if dimensions.count > SizeLimits.maximumRank {
            return .failure(.tooLarge("\(what) has \(dimensions.count) dimensions, more than the \(SizeLimits.maximumRank) a tensor may have"))
        }
        if let negative = dimensions.first(where: { $0 < 0 }) {
            return .failure(.invalid("\(what) has a negative dimension (\(negative))"))
        }
        if let big = dimensions.first(where: { $0 > SizeLimits.maximumDimension }) {
            return .failure(.tooLarge("\(what) has a dimension of \(big), more than the "
                                          + "\(ByteCount.grouped(SizeLimits.maximumDimension)) a dimension may be"))
        }
        // Any zero makes the tensor empty, however large the other dimensions.
        if dimensions.contains(0) { return .success(0) }
        guard let count = Checked.product(dimensions), count <= SizeLimits.maximumElementCount else {
            let count = Checked.product(dimensions).map { ByteCount.grouped($0) } ?? "more than 2^63"
            return .failure(.tooLarge("\(what) of shape \(dimensions) has \(count) elements, more than the "
                                          + "\(ByteCount.grouped(SizeLimits.maximumElementCount)) a tensor may hold"))
        }
        return .success(count)
    }

    /// `elementCount(_:what:)`, failures as the ``ReaderError`` for `source`.
    static func elementCount(_ dimensions: [Int], what: String, source: String) throws(ReaderError) -> Int {
        switch elementCount(dimensions, what: what) {
        case .success(let count): return count
        case .failure(let failure): throw failure.error(source: source)
        }
    }

    /// Dimensions as stored in a file (`int64`), refused when one does not fit `Int`.
    static func dimensions(_ values: [Int64], what: String, source: String) throws(ReaderError) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(min(values.count, SizeLimits.maximumRank + 1))
        for value in values {
            guard let dimension = Int(exactly: value) else {
                throw .tooLarge(file: source, reason: "\(what) has a dimension of \(value), which does not fit a machine integer")
            }
            result.append(dimension)
        }
        return result
    }

    /// Why a shape was refused.
    enum ShapeFailure: Error, Hashable {
        /// A negative dimension.
        case invalid(String)
        /// A ceiling passed.
        case tooLarge(String)

        /// The reason alone.
        var reason: String {
            switch self {
            case .invalid(let reason), .tooLarge(let reason): reason
            }
        }

        /// The error for a file named `source`.
        func error(source: String) -> ReaderError {
            switch self {
            case .invalid(let reason): .invalidWeights(file: source, reason: reason)
            case .tooLarge(let reason): .tooLarge(file: source, reason: reason)
            }
        }
    }
}
