import RealModule

/// An element-wise function folded into the store of a layer's output (after
/// the bias): the compressed executor runs ReLU, ReLU6 and the other clips,
/// h-swish, hard sigmoid and sigmoid this way instead of as separate steps.
public struct Activation: Sendable, Hashable {
    /// Which function.
    public enum Kind: UInt8, Sendable, Hashable {
        /// `x`.
        case identity
        /// `x` above zero, `a * x` below (leaky ReLU with slope `a`).
        case relu
        /// `min(max(x, a), b)`.
        case clip
        /// `max(0, min(1, a * x + b))`.
        case hardSigmoid
        /// `x * max(0, min(1, x / 6 + 1/2))`.
        case hardSwish
        /// `1 / (1 + e^-x)`.
        case sigmoid
    }

    /// Which function.
    public var kind: Kind
    /// The first parameter (slope, lower bound, alpha).
    public var a: Float
    /// The second parameter (upper bound, beta).
    public var b: Float

    /// An activation.
    public init(_ kind: Kind, _ a: Float = 0, _ b: Float = 0) {
        self.kind = kind
        self.a = a
        self.b = b
    }

    /// Nothing.
    public static let identity = Activation(.identity)

    /// A leaky ReLU (slope 0: ReLU).
    public static func relu(slope: Float) -> Activation { Activation(.relu, slope) }

    /// Whether it never decreases, so that the maximum of a window may be
    /// taken before it (max pooling folded into the convolution before).
    public var isNonDecreasing: Bool {
        switch kind {
        case .identity, .clip, .sigmoid: true
        case .relu: a >= 0
        case .hardSigmoid: a >= 0
        case .hardSwish: false
        }
    }

    /// This function after `inner` when the pair is again one activation
    /// (a ReLU then a clip is a clip), else nil.
    public func after(_ inner: Activation) -> Activation? {
        switch (inner.kind, kind) {
        case (.identity, _): self
        case (_, .identity): inner
        case (.relu, .clip) where inner.a == 0: Activation(.clip, max(a, 0), max(b, 0))
        case (.clip, .relu) where a == 0: Activation(.clip, max(inner.a, 0), max(inner.b, 0))
        case (.clip, .clip): Activation(.clip, min(max(inner.a, a), b), max(min(inner.b, b), a))
        default: nil
        }
    }

    /// The activation as `min(max(x, low), high)` when it is one (identity,
    /// ReLU, clips), so a kernel can apply it with two instructions.
    public var bounds: (low: Float, high: Float)? {
        switch kind {
        case .identity: (-.infinity, .infinity)
        case .relu where a == 0: (0, .infinity)
        case .clip where a <= b: (a, b)
        default: nil
        }
    }

    /// The function of one value.
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch kind {
        case .identity: x
        case .relu: x < 0 ? x * a : x
        case .clip: Swift.min(Swift.max(x, a), b)
        case .hardSigmoid: Swift.max(0, Swift.min(1, a * x + b))
        case .hardSwish: x * Swift.max(0, Swift.min(1, x / 6 + 0.5))
        case .sigmoid: 1 / (1 + Float.exp(-x))
        }
    }

    /// `min(max(v, low), high)` lane by lane, as two compares and blends:
    /// `pointwiseMin`/`pointwiseMax` and `clamped` are generic and were not
    /// inlined (a call per vector: half of MobileNet v2's time before its
    /// layers had kernels of their own), and `clamped` traps when low >
    /// high, which ONNX's Clip allows.
    @inline(__always)
    static func clamp(_ v: SIMD8<Float>, _ low: Float, _ high: Float) -> SIMD8<Float> {
        let above = v.replacing(with: low, where: v .< low)
        return above.replacing(with: high, where: above .> high)
    }

    /// The function of eight values, inlined into the stores that call it
    /// per vector: identity and ReLU here, the others out of line (with
    /// them inline the compiler stopped inlining it, and the call cost 4 %
    /// of the Deep-Compression SqueezeNet's pass).
    @inline(__always)
    public func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .identity: v
        case .relu: v.replacing(with: v * a, where: v .< 0)
        default: applyClamped(v)
        }
    }

    /// Clips, the hard sigmoid, hard swish and sigmoid of eight values.
    @inline(never)
    func applyClamped(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .identity, .relu:
            return apply(v)
        case .clip:
            return Self.clamp(v, a, b)
        case .hardSigmoid:
            return Self.clamp(v * a + SIMD8(repeating: b), 0, 1)
        case .hardSwish:
            return v * Self.clamp(v * SIMD8(repeating: 1 / 6) + SIMD8(repeating: 0.5), 0, 1)
        case .sigmoid:
            var out = SIMD8<Float>()
            for i in 0..<8 { out[i] = 1 / (1 + Float.exp(-v[i])) }
            return out
        }
    }
}
