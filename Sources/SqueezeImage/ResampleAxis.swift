/// Fixed-point coefficients for resampling one axis with Pillow's bilinear
/// filter, reproducing `precompute_coeffs` and `normalize_coeffs_8bpc` of
/// Pillow's `libImaging/Resample.c` so results match `Image.resize(size,
/// Image.BILINEAR)` bit for bit.
///
/// The filter is a triangle whose support grows with the downscale factor
/// (antialiasing). Weights are computed and normalised in `Double`, then
/// rounded to integers with `precisionBits` fraction bits.
struct ResampleAxis: Sendable {
    /// Pillow's `PRECISION_BITS`: 32 - 8 - 2, leaving room for 8-bit samples
    /// and two bits of overshoot in an `Int32` accumulator.
    static let precisionBits: Int32 = 32 - 8 - 2
    /// Added before the final shift so that it rounds to nearest.
    static let rounding: Int32 = 1 << (precisionBits - 1)

    let inputSize: Int
    let outputSize: Int
    /// Stride of `weights` per output sample (Pillow's `ksize`).
    let taps: Int
    /// First input sample used by each output sample.
    let first: [Int]
    /// Number of input samples used by each output sample (at most `taps`).
    let count: [Int]
    /// `outputSize * taps` fixed-point weights; unused slots are zero.
    let weights: [Int32]

    init(inputSize: Int, outputSize: Int) {
        precondition(inputSize > 0 && outputSize > 0, "resample sizes must be positive")
        self.inputSize = inputSize
        self.outputSize = outputSize

        // Pillow passes the box edges as float; sizes below 2^24 convert exactly.
        let scale = Double(Float(inputSize)) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale  // bilinear support is 1
        let taps = Int(support.rounded(.up)) * 2 + 1
        let inverseFilterScale = 1.0 / filterScale

        var first = [Int](repeating: 0, count: outputSize)
        var count = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * taps)
        var k = [Double](repeating: 0, count: taps)

        for out in 0..<outputSize {
            let center = (Double(out) + 0.5) * scale
            // C's (int) conversion truncates toward zero; so does Int(_: Double).
            let lower = max(Int(center - support + 0.5), 0)
            let upper = min(Int(center + support + 0.5), inputSize)
            let n = upper - lower
            var total = 0.0
            for i in 0..<n {
                // Same operation order as Pillow: ((x + xmin) - center + 0.5) * ss.
                let w = Self.triangle((Double(i + lower) - center + 0.5) * inverseFilterScale)
                k[i] = w
                total += w
            }
            for i in 0..<n {
                if total != 0 { k[i] /= total }
                weights[out * taps + i] = Self.fixedPoint(k[i])
            }
            first[out] = lower
            count[out] = n
        }
        self.taps = taps
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// Pillow's `bilinear_filter`.
    private static func triangle(_ x: Double) -> Double {
        let x = abs(x)
        return x < 1.0 ? 1.0 - x : 0.0
    }

    /// Pillow's rounding to fixed point: half away from zero, then truncation.
    private static func fixedPoint(_ k: Double) -> Int32 {
        let scaled = k * Double(1 << Int(precisionBits))
        return Int32(k < 0 ? -0.5 + scaled : 0.5 + scaled)
    }

    /// Pillow's `clip8`: drop the fraction bits, clamp to 0...255.
    @inline(__always)
    static func clip(_ accumulator: Int32) -> UInt8 {
        UInt8(clamping: accumulator >> precisionBits)
    }

    /// The input range that output samples `outputs` read.
    func inputRange(for outputs: Range<Int>) -> Range<Int> {
        guard !outputs.isEmpty else { return 0..<0 }
        var lower = inputSize
        var upper = 0
        for out in outputs {
            lower = min(lower, first[out])
            upper = max(upper, first[out] + count[out])
        }
        return lower..<max(lower, upper)
    }
}
