import CSqueezeMicrokernels
import Testing

/// Runs `squeeze_f32_dwconv3x3` of one instruction set on one case against a
/// textbook loop; rows and planes are strided with canary-filled gaps, so a
/// read outside the input would change the result and a write outside the
/// output is caught.
struct DepthwiseTester: CustomStringConvertible, Sendable {
    var planes = 2
    var height: Int
    var width: Int
    var stride: Int
    var padTop = 1, padLeft = 1, padBottom = 1, padRight = 1
    var bias = true
    var low: Float = -.infinity
    var high: Float = .infinity
    var seed: UInt64 = 1

    var outputHeight: Int { (height + padTop + padBottom - 3) / stride + 1 }
    var outputWidth: Int { (width + padLeft + padRight - 3) / stride + 1 }
    var description: String {
        "\(planes)x\(height)x\(width) stride \(stride) pads \(padTop),\(padLeft),\(padBottom),\(padRight) bias \(bias) clamp [\(low), \(high)]"
    }

    func test(_ isa: MicrokernelISA) {
        var values = TestValues(seed: seed)
        let canary: Float = 1e6
        let inRow = width + 3, inPlane = height * inRow + 5
        var input = [Float](repeating: canary, count: planes * inPlane + 16)
        for c in 0..<planes {
            for y in 0..<height {
                for x in 0..<width { input[8 + c * inPlane + y * inRow + x] = values.next() }
            }
        }
        let weights = values.array(9 * planes), biases = values.array(planes)
        let oh = outputHeight, ow = outputWidth
        let outRow = ow + 2, outPlane = oh * outRow + 3
        var output = [Float](repeating: canary, count: planes * outPlane + 8)
        var scratch = [Float](repeating: .nan, count: squeeze_f32_dwconv3x3_scratch(ow, stride))
        let kernel = squeeze_f32_dwconv3x3_kernel(isa.isa)!
        input.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                biases.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { y in
                        scratch.withUnsafeMutableBufferPointer { s in
                            var args = squeeze_dwconv3x3_args(
                                planes: planes, input: x.baseAddress! + 8, input_height: height, input_width: width,
                                input_row_stride: inRow, input_plane_stride: inPlane, stride: stride, pad_top: padTop,
                                pad_left: padLeft, weights: w.baseAddress!, bias: bias ? b.baseAddress! : nil, lo: low,
                                hi: high, output: y.baseAddress! + 4, output_height: oh, output_width: ow,
                                output_row_stride: outRow, output_plane_stride: outPlane, scratch: s.baseAddress!)
                            kernel(&args)
                        }
                    }
                }
            }
        }
        var written = Set<Int>()
        for c in 0..<planes {
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum: Double = bias ? Double(biases[c]) : 0
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let iy = y * stride + ky - padTop, ix = x * stride + kx - padLeft
                            guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                            sum += Double(weights[9 * c + 3 * ky + kx]) * Double(input[8 + c * inPlane + iy * inRow + ix])
                        }
                    }
                    let index = 4 + c * outPlane + y * outRow + x
                    written.insert(index)
                    let expected = Float(min(max(sum, Double(low)), Double(high)))
                    #expect(abs(output[index] - expected) <= 1e-5, "\(isa) \(self): (\(c), \(y), \(x)) \(output[index]) vs \(expected)")
                }
            }
        }
        let stray = output.indices.filter { !written.contains($0) && output[$0] != canary }
        #expect(stray.isEmpty, "\(isa) \(self): wrote outside the output at \(stray.prefix(5))")
    }
}
