import SqueezeKernels
import Testing

/// Layouts with rows on 64-byte lines and shifted copies (the inputs of the
/// compressed executor's 3x3 and wider convolutions).
@Suite("plane layouts with shifted copies")
struct PlaneLayoutTests {
    @Test("copy k holds copy 0 shifted left by k, each row ending in zeros; borders and line padding are zero",
          arguments: [(height: 5, width: 14, pad: 1, copies: 3), (height: 4, width: 27, pad: 1, copies: 3),
                      (height: 3, width: 9, pad: 2, copies: 5), (height: 2, width: 16, pad: 0, copies: 2)])
    func shiftedCopies(height: Int, width: Int, pad: Int, copies: Int) {
        let layout = PlaneLayout(height: height, width: width, padHeight: pad, padWidth: pad, planeAlignment: 16,
                                 rowAlignment: 16, shiftedCopies: copies)
        #expect(layout.rowStride % 16 == 0 && layout.rowStride >= width + 2 * pad)
        #expect(layout.copyStride % 16 == 0 && layout.planeStride == copies * layout.copyStride)
        let values = (0..<(height * width)).map { Float($0 + 1) }
        // Two planes, the destination first filled with garbage.
        var output = [Float](repeating: .nan, count: 2 * layout.planeStride)
        let source = PlaneLayout(height: height, width: width)
        values.withUnsafeBufferPointer { v in
            output.withUnsafeMutableBufferPointer { o in
                let twice = Array(v) + Array(v)
                twice.withUnsafeBufferPointer { t in
                    copyPlanes(2, input: t.baseAddress!, inputLayout: source, output: o.baseAddress!, outputLayout: layout)
                }
            }
        }
        for plane in 0..<2 {
            let base = plane * layout.planeStride
            // Copy 0: the values inside a zero border, zeros to the end of each row.
            var copy0 = [Float](repeating: 0, count: layout.copyStride)
            for y in 0..<height {
                for x in 0..<width { copy0[(y + pad) * layout.rowStride + pad + x] = values[y * width + x] }
            }
            let rows = layout.paddedHeight * layout.rowStride
            for k in 0..<copies {
                for r in 0..<layout.paddedHeight {
                    for c in 0..<layout.rowStride {
                        let expected = c + k < layout.rowStride ? copy0[r * layout.rowStride + c + k] : 0
                        let actual = output[base + k * layout.copyStride + r * layout.rowStride + c]
                        #expect(actual == expected, "plane \(plane) copy \(k) row \(r) column \(c)")
                    }
                }
                #expect(rows <= layout.copyStride)
            }
        }
    }
}
