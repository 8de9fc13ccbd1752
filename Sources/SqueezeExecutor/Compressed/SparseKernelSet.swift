internal import CCPUFeatures
internal import CSqueezeMicrokernels
import SqueezeKernels
internal import SqueezeKernelsAVX512

/// Which build of the sparse convolution kernels a compressed program runs:
/// the same source compiled for eight-float (AVX2) or sixteen-float (AVX-512)
/// vectors. Results agree to rounding; the wider set does half the
/// instructions per multiply-add where the processor has it.
public enum SparseKernelSet: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Eight-float vectors with FMA (any x86-64 processor since Haswell).
    case avx2
    /// Sixteen-float vectors (AVX-512 F, CD, BW, DQ and VL).
    case avx512

    /// Whether this processor (and its operating system) can run the set.
    public var isSupported: Bool {
        switch self {
        case .avx2: true
        case .avx512: Self.hasAVX512
        }
    }

    /// The widest set this processor runs.
    public static var preferred: SparseKernelSet { hasAVX512 ? .avx512 : .avx2 }

    /// The sets this processor runs.
    public static var supported: [SparseKernelSet] { allCases.filter(\.isSupported) }

    /// The C micro-kernels' instruction set of the same width.
    var microkernelISA: squeeze_isa {
        switch self {
        case .avx2: SQUEEZE_ISA_AVX2
        case .avx512: SQUEEZE_ISA_AVX512
        }
    }
    /// The set's name, as `--kernels` takes it.
    public var description: String { rawValue }

    private static let hasAVX512 = squeeze_cpu_has_avx512() != 0

    /// Grid values one tile of the single-row kernel covers: spatial blocks
    /// are whole tiles so only the last block runs narrower ones.
    var rowTile: Int {
        switch self {
        case .avx2: SqueezeKernels.sparseRowTile
        case .avx512: SqueezeKernelsAVX512.sparseRowTile
        }
    }

    /// Floats of input runs one block of a convolution reads (its channel
    /// block's planes over its spatial block, plus the taps' reach). AVX2
    /// (tuned on Zen 3): ~24 KB, inside L1. AVX-512 (tuned on Zen 5): ~64 KB,
    /// from L2; its kernels finish a block so fast that fewer, longer blocks
    /// (fewer calls, fewer re-reads of the grid) win over L1 hits: 1 thread
    /// 4 % faster than at 24 KB, conv_final 22 %; 96 and 128 KB slower.
    var blockBudget: Int {
        switch self {
        case .avx2: 6144
        case .avx512: 16384
        }
    }

    /// Floats between the planes of a convolution's input: every plane then
    /// starts at the same alignment, one whole vector (AVX2: 32 bytes) or one
    /// cache line (AVX-512: 64 bytes, so 1x1 loads never straddle two lines).
    var planeAlignment: Int {
        switch self {
        case .avx2: 8
        case .avx512: 16
        }
    }

    /// Whether inputs of kernels wider than one column keep rows on cache
    /// lines and a shifted copy per column tap (`PlaneLayout.shiftedCopies`).
    /// AVX-512 only: a straddling 64-byte load costs two, so the copies win
    /// (5 % at two threads on Zen 5); with AVX2 only half the loads straddle
    /// and the wider rows and extra writes lost (1 thread 4 %, 2 threads 11 %
    /// slower on Zen 5 than without).
    var keepsShiftedCopies: Bool { self == .avx512 }

    /// How many output channels share each entry (and its input loads) in a
    /// group of `rows` rows of this density: four for nearly dense layers
    /// (sparser rows would waste more multiply-adds on zeros than the shared
    /// loads save), eight for dense ones where there are registers for it.
    func rowsPerEntry(density: Double, rows: Int) -> Int {
        if self == .avx512, density >= 0.9, rows % 8 == 0 { return 8 }
        if density >= 0.6, rows % 4 == 0 { return 4 }
        return 1
    }

    /// `sparseConvolveRow` of this set.
    @inline(__always)
    func convolveRow(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                     input: UnsafePointer<Float>, count: Int, grid: UnsafeMutablePointer<Float>, accumulate: Bool) {
        switch self {
        case .avx2:
            SqueezeKernels.sparseConvolveRow(entries: entries, offsets: offsets, weights: weights, input: input,
                                             count: count, grid: grid, accumulate: accumulate)
        case .avx512:
            SqueezeKernelsAVX512.sparseConvolveRow(entries: entries, offsets: offsets, weights: weights, input: input,
                                                   count: count, grid: grid, accumulate: accumulate)
        }
    }

    /// `sparseConvolveRows8` of this set (AVX-512 only: AVX2 has too few registers).
    @inline(__always)
    func convolveRows8(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                       input: UnsafePointer<Float>, count: Int, grid: UnsafeMutablePointer<Float>, gridStride: Int,
                       accumulate: Bool) {
        SqueezeKernelsAVX512.sparseConvolveRows8(entries: entries, offsets: offsets, weights: weights, input: input,
                                                 count: count, grid: grid, gridStride: gridStride, accumulate: accumulate)
    }

    /// `sparseConvolveRows4` of this set.
    @inline(__always)
    func convolveRows4(entries: Int, offsets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                       input: UnsafePointer<Float>, count: Int, grid: UnsafeMutablePointer<Float>, gridStride: Int,
                       accumulate: Bool) {
        switch self {
        case .avx2:
            SqueezeKernels.sparseConvolveRows4(entries: entries, offsets: offsets, weights: weights, input: input,
                                               count: count, grid: grid, gridStride: gridStride, accumulate: accumulate)
        case .avx512:
            SqueezeKernelsAVX512.sparseConvolveRows4(entries: entries, offsets: offsets, weights: weights, input: input,
                                                     count: count, grid: grid, gridStride: gridStride,
                                                     accumulate: accumulate)
        }
    }
}
