/// A layer's weight tensor in one of the forms the compression pipeline produces.
///
/// Every form can be expanded to dense float32 values (`denseValues()`); the
/// compressed executor works on the compact forms directly.
public struct WeightTensor: Hashable, Sendable {
    /// How the values are stored.
    public enum Storage: Hashable, Sendable {
        /// Every value, row-major.
        case dense([Float])
        /// Pruned: only the entries at `positions` (strictly increasing flat
        /// row-major indices) are non-zero, with the given values.
        case sparse(positions: [UInt32], values: [Float])
        /// Weight-shared: each stored entry is `codebook[code]`. With `positions`
        /// the tensor is also pruned (codes belong to those positions); without,
        /// `codes` has one entry per element.
        case shared(codebook: [Float], codes: [UInt16], positions: [UInt32]?)
    }

    /// The tensor's shape (`[out, in/groups, kh, kw]` or `[out, in]`).
    public var shape: TensorShape
    /// The stored values.
    public var storage: Storage

    /// A weight tensor.
    public init(shape: TensorShape, storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    /// A dense tensor.
    public init(shape: TensorShape, values: [Float]) {
        self.init(shape: shape, storage: .dense(values))
    }

    /// The number of elements of the dense tensor.
    public var elementCount: Int { shape.elementCount }

    /// The number of entries actually stored (all elements for dense forms).
    public var storedCount: Int {
        switch storage {
        case .dense(let values): values.count
        case .sparse(let positions, _): positions.count
        case .shared(_, let codes, _): codes.count
        }
    }

    /// The stored positions, or nil for a form that stores every element.
    public var positions: [UInt32]? {
        switch storage {
        case .dense: nil
        case .sparse(let positions, _): positions
        case .shared(_, _, let positions): positions
        }
    }

    /// Whether only some positions are stored.
    public var isPruned: Bool { positions != nil }

    /// Whether values come from a codebook.
    public var isShared: Bool {
        if case .shared = storage { return true }
        return false
    }

    /// Expands to dense float32 values, row-major.
    public func denseValues() -> [Float] {
        switch storage {
        case .dense(let values):
            return values
        case .sparse(let positions, let values):
            var out = [Float](repeating: 0, count: elementCount)
            for (p, v) in zip(positions, values) { out[Int(p)] = v }
            return out
        case .shared(let codebook, let codes, let positions):
            if let positions {
                var out = [Float](repeating: 0, count: elementCount)
                for (p, c) in zip(positions, codes) { out[Int(p)] = codebook[Int(c)] }
                return out
            }
            return codes.map { codebook[Int($0)] }
        }
    }

    /// The number of non-zero weights.
    public var nonZeroCount: Int {
        switch storage {
        case .dense(let values), .sparse(_, let values):
            return values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        case .shared(let codebook, let codes, _):
            return codes.reduce(0) { $0 + (codebook[Int($1)] != 0 ? 1 : 0) }
        }
    }

    /// Checks the storage against the shape: counts, sorted in-range positions,
    /// codes inside the codebook, finite values.
    ///
    /// - Returns: a one-line reason when invalid, nil when valid.
    public func validationFailure() -> String? {
        let count = elementCount
        func checkPositions(_ positions: [UInt32]) -> String? {
            positions.withUnsafeBufferPointer { p in
                // One pass without early exits first (valid tensors, the
                // common case, stay a tight loop), the culprit only on failure.
                var disorders = 0
                for i in p.indices.dropFirst() { disorders &+= p[i] <= p[i - 1] ? 1 : 0 }
                if disorders == 0, p.last.map({ Int($0) < count }) ?? true { return nil }
                var previous = -1
                for q in p.lazy.map(Int.init) {
                    if q <= previous { return "positions are not strictly increasing at \(q)" }
                    if q >= count { return "position \(q) is outside the \(count) weights" }
                    previous = q
                }
                return nil
            }
        }
        switch storage {
        case .dense(let values):
            if values.count != count { return "\(values.count) values for a \(shape) tensor of \(count)" }
            if values.contains(where: { !$0.isFinite }) { return "a weight is not finite" }
        case .sparse(let positions, let values):
            if positions.count != values.count { return "\(positions.count) positions but \(values.count) values" }
            if let failure = checkPositions(positions) { return failure }
            if values.contains(where: { !$0.isFinite }) { return "a weight is not finite" }
        case .shared(let codebook, let codes, let positions):
            if codebook.isEmpty || codebook.count > 1 << 16 { return "codebook has \(codebook.count) entries" }
            if codebook.contains(where: { !$0.isFinite }) { return "a codebook entry is not finite" }
            if let positions {
                if positions.count != codes.count { return "\(positions.count) positions but \(codes.count) codes" }
                if let failure = checkPositions(positions) { return failure }
            } else if codes.count != count {
                return "\(codes.count) codes for a \(shape) tensor of \(count)"
            }
            // The largest code first (one branch-free pass), the culprit only on failure.
            if Int(codes.withUnsafeBufferPointer { $0.reduce(0) { max($0, $1) } }) >= codebook.count,
               let bad = codes.first(where: { Int($0) >= codebook.count }) {
                return "code \(bad) is outside the \(codebook.count)-entry codebook"
            }
        }
        return nil
    }
}

/// A weighted layer's learned parameters.
public struct LayerParameters: Hashable, Sendable {
    /// The weights.
    public var weights: WeightTensor
    /// The biases (empty when the layer has none).
    public var bias: [Float]

    /// Parameters of one layer.
    public init(weights: WeightTensor, bias: [Float]) {
        self.weights = weights
        self.bias = bias
    }
}
