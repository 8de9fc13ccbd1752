import CSqueezeMicrokernels
import Testing

/// Runs `squeeze_f32_igemm` of one instruction set on one case against a
/// textbook loop, XNNPACK-style: the output rows sit inside a canary-filled
/// buffer, so a write past `n` values or `mr` rows is caught too.
struct IGEMMTester: CustomStringConvertible, Sendable {
    var mr: Int
    var n: Int
    var k: Int
    /// Floats between one channel's output and the next (at least
    /// `rows * yRowStride`).
    var ldy: Int
    /// Runs per channel, each `xRowStride` further on in the input and
    /// `yRowStride` (at least `n`) in the output.
    var rows = 1
    var xRowStride = 0
    var yRowStride = 0
    var bias = true
    /// Adds a residual connection read where each output is written.
    var residual = false
    var low: Float = -.infinity
    var high: Float = .infinity
    var seed: UInt64 = 1

    var description: String {
        "mr \(mr) n \(n) rows \(rows) (\(xRowStride), \(yRowStride)) k \(k) ldy \(ldy) bias \(bias) residual \(residual) clamp [\(low), \(high)]"
    }

    func test(_ isa: MicrokernelISA) {
        var values = TestValues(seed: seed)
        // Input rows at scattered offsets in one buffer: row i starts at offsets[i].
        let rowStride = n + 5 + (rows - 1) * xRowStride
        let input = values.array(k * rowStride + 3)
        // One spare entry each, so that k = 0 still has buffers to point at.
        let offsets = (0..<k).map { ($0 * 7 % max(k, 1)) * rowStride + 1 } + [0]
        let weights = values.array(k * 8).enumerated().map { $0.offset % 8 < mr ? $0.element : 0 } + Array(repeating: 0, count: 8)
        let biases = values.array(8)
        let residuals = values.array(8 * ldy + 4)
        let canary: Float = 12345
        var output = [Float](repeating: canary, count: 8 * ldy + 4)
        let kernel = squeeze_f32_igemm_kernel(isa.isa)!
        input.withUnsafeBufferPointer { x in
            offsets.withUnsafeBufferPointer { o in
                weights.withUnsafeBufferPointer { w in
                    biases.withUnsafeBufferPointer { b in
                        residuals.withUnsafeBufferPointer { r in
                            output.withUnsafeMutableBufferPointer { y in
                                kernel(mr, n, rows, xRowStride, yRowStride, k, x.baseAddress!, o.baseAddress!, w.baseAddress!,
                                       bias ? b.baseAddress! : nil, low, high, residual ? r.baseAddress! : nil, y.baseAddress!, ldy)
                            }
                        }
                    }
                }
            }
        }
        for m in 0..<8 {
            for q in 0..<ldy {
                let got = output[m * ldy + q]
                let r = yRowStride > 0 ? q / yRowStride : 0, p = q - r * yRowStride
                guard m < mr, r < rows, p < n else {
                    #expect(got == canary, "\(isa) \(self): wrote (\(m), \(q)) outside the output")
                    continue
                }
                var sum: Double = bias ? Double(biases[m]) : 0
                for i in 0..<k { sum += Double(weights[i * 8 + m]) * Double(input[offsets[i] + r * xRowStride + p]) }
                if residual { sum += Double(residuals[m * ldy + q]) }
                let expected = Float(min(max(sum, Double(low)), Double(high)))
                let tolerance = 1e-5 * Float(max(k, 1))
                #expect(abs(got - expected) <= tolerance, "\(isa) \(self): (\(m), \(r), \(p)) \(got) vs \(expected)")
            }
        }
        #expect(output.suffix(4).allSatisfy { $0 == canary }, "\(isa) \(self): wrote past the buffer")
    }
}
