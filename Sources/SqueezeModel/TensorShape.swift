/// The shape of a tensor: its dimensions, outermost first (NCHW for feature maps,
/// `[out, in/groups, kh, kw]` for convolution weights).
public struct TensorShape: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The dimensions, outermost first.
    public var dimensions: [Int]

    /// A shape with the given dimensions.
    public init(_ dimensions: [Int]) { self.dimensions = dimensions }

    /// A shape from an array literal, e.g. `[1, 3, 227, 227]`.
    public init(arrayLiteral elements: Int...) { self.dimensions = elements }

    /// The number of dimensions.
    public var rank: Int { dimensions.count }

    /// The number of elements (the product of the dimensions; 1 for a scalar).
    ///
    /// Saturates at `Int.max` instead of trapping, so a hostile shape compares
    /// as too large against every limit; shapes that passed
    /// ``limitFailure`` are far below that.
    public var elementCount: Int { Checked.saturatingProduct(dimensions) }

    /// The number of elements, or nil when the product does not fit in `Int`.
    public var checkedElementCount: Int? { Checked.product(dimensions) }

    /// The dimension at `axis`.
    public subscript(axis: Int) -> Int {
        get { dimensions[axis] }
        set { dimensions[axis] = newValue }
    }

    /// The batch dimension (axis 0).
    public var batch: Int { dimensions.first ?? 1 }

    /// The number of elements of one batch item (everything after axis 0).
    /// Saturates at `Int.max`, as ``elementCount`` does.
    public var itemCount: Int { Checked.saturatingProduct(dimensions.dropFirst()) }

    /// The channel dimension (axis 1), or 1 for a rank-1 shape.
    public var channels: Int { rank > 1 ? dimensions[1] : 1 }

    /// The height (axis 2) of an NCHW shape, 1 below rank 3.
    public var height: Int { rank > 2 ? dimensions[2] : 1 }

    /// The width (axis 3) of an NCHW shape, 1 below rank 4.
    public var width: Int { rank > 3 ? dimensions[3] : 1 }

    /// The same shape with another batch size.
    public func withBatch(_ batch: Int) -> TensorShape {
        var copy = self
        if copy.dimensions.isEmpty { copy.dimensions = [batch] } else { copy.dimensions[0] = batch }
        return copy
    }

    /// `1x3x227x227`.
    public var description: String { dimensions.map(String.init).joined(separator: "x") }
}

/// A height/width pair (kernel size, stride, padding, dilation).
public struct Spatial: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The vertical extent.
    public var height: Int
    /// The horizontal extent.
    public var width: Int

    /// A pair with separate height and width.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// A square pair.
    public init(_ both: Int) { self.init(height: both, width: both) }

    /// `3` for a square pair, `3x5` otherwise.
    public var description: String { height == width ? "\(height)" : "\(height)x\(width)" }
}
