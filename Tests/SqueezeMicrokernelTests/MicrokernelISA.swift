import CSqueezeMicrokernels

/// The instruction sets this processor runs, portable first: every kernel
/// family is tested in each of them.
enum MicrokernelISA: CaseIterable, CustomStringConvertible, Sendable {
    case portable, avx2, avx512

    var isa: squeeze_isa {
        switch self {
        case .portable: SQUEEZE_ISA_PORTABLE
        case .avx2: SQUEEZE_ISA_AVX2
        case .avx512: SQUEEZE_ISA_AVX512
        }
    }

    var isSupported: Bool { isa.rawValue <= squeeze_microkernels_best_isa().rawValue }

    static var supported: [MicrokernelISA] { allCases.filter(\.isSupported) }

    var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

/// A deterministic generator of test values in [-1, 1).
struct TestValues {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> Float {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state >> 40) / Float(1 << 23) - 1
    }

    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
}
