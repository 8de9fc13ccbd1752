/// The ceilings on shapes that every reader and every stage enforce
/// (docs/LIMITS.md lists them).
///
/// They bound what a single tensor may be before any memory is planned: a
/// shape that passes them can still be refused by the ``MemoryLimit``.
public enum SizeLimits {
    /// The most dimensions a tensor may have.
    public static let maximumRank = 8
    /// The largest single dimension, and the largest kernel, stride, padding,
    /// dilation or group count: 2^31 - 1, so every extent fits the 32-bit
    /// integers of BLAS and of the container's shape fields.
    public static let maximumDimension = Int(Int32.max)
    /// The most elements one tensor may hold, batch included: 2^31 - 1
    /// (8 GiB of float32). Matrix sizes handed to BLAS stay within 32 bits.
    public static let maximumElementCount = Int(Int32.max)
    /// The most layers a network may have.
    public static let maximumLayerCount = 100_000
    /// The most inputs (bottoms) or outputs (tops) of one layer.
    public static let maximumLayerArity = 4096
}

extension TensorShape {
    /// Why this shape passes the ceilings of ``SizeLimits``, or nil when it is
    /// within them (and every dimension is positive).
    public var limitFailure: String? {
        if rank > SizeLimits.maximumRank {
            return "\(rank) dimensions, more than the \(SizeLimits.maximumRank) a tensor may have"
        }
        if let bad = dimensions.first(where: { $0 <= 0 }) {
            return "shape \(self) has a non-positive dimension (\(bad))"
        }
        if let big = dimensions.first(where: { $0 > SizeLimits.maximumDimension }) {
            return "shape \(self) has a dimension of \(big), more than the \(SizeLimits.maximumDimension) a dimension may be"
        }
        guard let count = checkedElementCount, count <= SizeLimits.maximumElementCount else {
            let count = checkedElementCount.map { ByteCount.grouped($0) } ?? "more than 2^63"
            return "shape \(self) has \(count) elements, more than the \(ByteCount.grouped(SizeLimits.maximumElementCount)) a tensor may hold"
        }
        return nil
    }
}
