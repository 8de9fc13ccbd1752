import Testing

@Suite("Depthwise 3x3 micro-kernels against a textbook loop")
struct DepthwiseTests {
    @Test("every width and height up to two vectors, stride 1 and 2", arguments: MicrokernelISA.supported)
    func sizes(isa: MicrokernelISA) {
        for stride in [1, 2] {
            for width in 1...35 {
                for height in [1, 2, 3, 7] {
                    DepthwiseTester(height: height, width: width, stride: stride, seed: UInt64(width * 10 + height)).test(isa)
                }
            }
        }
    }

    @Test("paddings from none to two, asymmetric", arguments: MicrokernelISA.supported)
    func paddings(isa: MicrokernelISA) {
        for stride in [1, 2] {
            for (top, left, bottom, right) in [(0, 0, 0, 0), (1, 1, 1, 1), (0, 1, 1, 0), (1, 0, 0, 1), (2, 2, 2, 2), (0, 0, 1, 1),
                                               (1, 1, 0, 0)] {
                for (height, width) in [(5, 5), (8, 17), (14, 14), (33, 40)] {
                    DepthwiseTester(planes: 3, height: height, width: width, stride: stride, padTop: top, padLeft: left,
                                    padBottom: bottom, padRight: right, seed: UInt64(height + width)).test(isa)
                }
            }
        }
    }

    @Test("bias and clamp (ReLU6) on the way out", arguments: MicrokernelISA.supported)
    func epilogue(isa: MicrokernelISA) {
        for stride in [1, 2] {
            DepthwiseTester(planes: 4, height: 9, width: 20, stride: stride, bias: false, seed: 7).test(isa)
            DepthwiseTester(planes: 4, height: 9, width: 20, stride: stride, low: 0, high: 0.5, seed: 8).test(isa)
        }
    }
}
