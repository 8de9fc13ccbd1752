import Testing

@Suite("Indirect GEMM micro-kernels against a textbook loop")
struct IGEMMTests {
    /// Every tail of the 48- and 24-wide tiles, and the one-column path.
    @Test("every output width up to three tiles", arguments: MicrokernelISA.supported)
    func widths(isa: MicrokernelISA) {
        for n in 1...100 { IGEMMTester(mr: 8, n: n, k: 5, ldy: n + 3, seed: UInt64(n)).test(isa) }
    }

    @Test("fewer than eight channels in a panel", arguments: MicrokernelISA.supported)
    func partialPanels(isa: MicrokernelISA) {
        for mr in 1...8 {
            for n in [1, 7, 16, 33, 49] { IGEMMTester(mr: mr, n: n, k: 9, ldy: 64, seed: UInt64(mr * 100 + n)).test(isa) }
        }
    }

    @Test("reduction lengths, including none", arguments: MicrokernelISA.supported)
    func depths(isa: MicrokernelISA) {
        for k in [0, 1, 2, 3, 4, 5, 16, 27, 64, 145] {
            IGEMMTester(mr: 8, n: 50, k: k, ldy: 50, seed: UInt64(k)).test(isa)
            IGEMMTester(mr: 3, n: 1, k: k, ldy: 1, seed: UInt64(k)).test(isa)
        }
    }

    @Test("bias and clamp (ReLU6) on the way out", arguments: MicrokernelISA.supported)
    func epilogue(isa: MicrokernelISA) {
        for n in [1, 20, 48] {
            IGEMMTester(mr: 8, n: n, k: 12, ldy: n, bias: false, seed: 3).test(isa)
            IGEMMTester(mr: 6, n: n, k: 12, ldy: n, low: 0, high: 0.5, seed: 4).test(isa)
            IGEMMTester(mr: 5, n: n, k: 12, ldy: n, bias: false, low: -0.25, high: 0.25, seed: 5).test(isa)
        }
    }

    /// Output rows of a padded layout written in place: runs of the row's
    /// width, the grid's and the layout's row strides apart.
    @Test("row by row into strided output", arguments: MicrokernelISA.supported)
    func rows(isa: MicrokernelISA) {
        for (n, rows) in [(13, 4), (27, 3), (55, 2), (1, 5)] {
            IGEMMTester(mr: 7, n: n, k: 10, ldy: rows * (n + 3) + 2, rows: rows, xRowStride: n + 2, yRowStride: n + 3,
                        low: 0, high: 6, seed: UInt64(n)).test(isa)
        }
    }

    /// A residual connection added before the clamp (MobileNet v2's
    /// projections), one run or row by row.
    @Test("residual connection added in the epilogue", arguments: MicrokernelISA.supported)
    func residual(isa: MicrokernelISA) {
        for n in [1, 9, 16, 40, 49, 100] {
            IGEMMTester(mr: 8, n: n, k: 24, ldy: n + 1, residual: true, seed: UInt64(n)).test(isa)
            IGEMMTester(mr: 5, n: n, k: 7, ldy: 2 * (n + 2), rows: 2, xRowStride: n + 1, yRowStride: n + 2, residual: true,
                        low: -0.5, high: 0.5, seed: UInt64(n + 1)).test(isa)
        }
    }
}
