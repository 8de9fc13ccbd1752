import SqueezeModel

/// Textbook loops, written straight from the layer definitions, to check the
/// executor's kernels against.
enum Naive {
    static func convolution(_ x: [Float], shape s: TensorShape, _ p: Convolution,
                            weights w: [Float], bias: [Float]) -> [Float] {
        let (n, c, h, wd) = (s[0], s[1], s[2], s[3])
        let oh = (h + 2 * p.padding.height - (p.dilation.height * (p.kernel.height - 1) + 1)) / p.stride.height + 1
        let ow = (wd + 2 * p.padding.width - (p.dilation.width * (p.kernel.width - 1) + 1)) / p.stride.width + 1
        let cg = c / p.groups, mg = p.outputChannels / p.groups
        var y = [Float](repeating: 0, count: n * p.outputChannels * oh * ow)
        for b in 0..<n {
            for m in 0..<p.outputChannels {
                let g = m / mg
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum: Double = p.hasBias ? Double(bias[m]) : 0
                        for ci in 0..<cg {
                            for ky in 0..<p.kernel.height {
                                for kx in 0..<p.kernel.width {
                                    let iy = oy * p.stride.height - p.padding.height + ky * p.dilation.height
                                    let ix = ox * p.stride.width - p.padding.width + kx * p.dilation.width
                                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                    let xv = x[((b * c + g * cg + ci) * h + iy) * wd + ix]
                                    let wv = w[((m * cg + ci) * p.kernel.height + ky) * p.kernel.width + kx]
                                    sum += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y[((b * p.outputChannels + m) * oh + oy) * ow + ox] = Float(sum)
                    }
                }
            }
        }
        return y
    }

    static func innerProduct(_ x: [Float], batch: Int, outputs: Int, weights w: [Float], bias: [Float]) -> [Float] {
        let k = x.count / batch
        var y = [Float](repeating: 0, count: batch * outputs)
        for b in 0..<batch {
            for o in 0..<outputs {
                var sum = Double(bias.isEmpty ? 0 : bias[o])
                for i in 0..<k { sum += Double(x[b * k + i]) * Double(w[o * k + i]) }
                y[b * outputs + o] = Float(sum)
            }
        }
        return y
    }

    static func lrnAcross(_ x: [Float], shape s: TensorShape, _ p: LRN) -> [Float] {
        let (n, c, plane) = (s[0], s[1], s[2] * s[3])
        var y = x
        let pre = (p.localSize - 1) / 2
        for b in 0..<n {
            for ch in 0..<c {
                for i in 0..<plane {
                    var sum: Double = 0
                    for j in max(0, ch - pre)...min(c - 1, ch + pre) {
                        let v = Double(x[(b * c + j) * plane + i])
                        sum += v * v
                    }
                    let scale = Double(p.k) + Double(p.alpha) / Double(p.localSize) * sum
                    let idx = (b * c + ch) * plane + i
                    y[idx] = Float(Double(x[idx]) * pow(scale, -Double(p.beta)))
                }
            }
        }
        return y
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 24 bits.
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Uniform in [-1, 1).
    mutating func symmetric() -> Float { uniform() * 2 - 1 }
}

extension Array where Element == Float {
    static func random(count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: range, using: &rng) }
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
}
