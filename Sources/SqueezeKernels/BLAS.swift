internal import COpenBLAS
import Foundation

/// Dense matrix products and BLAS thread control, over OpenBLAS.
///
/// All matrices are row-major float32. These wrappers exist so no other module
/// touches the C library: the executor calls Swift functions with pointer
/// arguments, and the choice of BLAS stays private to this module.
///
/// OpenBLAS is opened on first use, not at process start: its thread pool
/// spins idle for a while after it starts, on the same cores as an engine
/// that never calls BLAS.
public enum BLAS {
    /// Why OpenBLAS cannot be used.
    public struct Unavailable: Error, Hashable, Sendable, CustomStringConvertible {
        /// A one-line reason.
        public var description: String
    }

    /// Opens OpenBLAS now (once per process); engines that multiply dense
    /// matrices call this when they are made, so a missing library is a clear
    /// error rather than a trap in the first product.
    public static func load() throws(Unavailable) {
        if let reason = squeeze_openblas_load() { throw Unavailable(description: String(cString: reason)) }
    }

    /// `C = alpha * op(A) * op(B) + beta * C` with `op(A)` of size m x k and
    /// `op(B)` of size k x n, row-major, leading dimensions `lda`, `ldb`, `ldc`.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @usableFromInline
    static func sgemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        do { try load() } catch { fatalError("\(error)") }
        squeeze_openblas_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                               a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Scoped thread-count changes run one at a time (see `withThreadCount`).
    private static let sectionLock = NSRecursiveLock()

    /// Runs `body` with OpenBLAS using `threads` threads inside each call (nil:
    /// the count as it is), then restores the count.
    ///
    /// The count is one per process, so such sections run one at a time: a
    /// section (training that splits each batch over threads, every GEMM on one
    /// thread) sees its own count throughout, and its results never depend on
    /// what else the process runs meanwhile. Sections may nest on one thread.
    public static func withThreadCount<R, E: Error>(_ threads: Int?, _ body: () throws(E) -> R) throws(E) -> R {
        guard let threads else { return try body() }
        sectionLock.lock()
        defer { sectionLock.unlock() }
        let saved = threadCount
        threadCount = threads
        defer { threadCount = saved }
        return try body()
    }

    /// The number of threads OpenBLAS uses inside one call (set: at most the
    /// processor count).
    ///
    /// Callers that run several forward passes in parallel set this to 1 so the
    /// threads do not oversubscribe the cores (`withThreadCount` for a scoped
    /// change). Neither reading nor setting it
    /// opens the library: before it is open, a count set is kept for it, and
    /// the count read is that one, else the one OpenBLAS will start with
    /// (`OPENBLAS_NUM_THREADS`, or the processor count).
    public static var threadCount: Int {
        get {
            let threads = Int(squeeze_openblas_threads())
            if threads > 0 { return threads }
            let environment = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
            return environment.map { max(1, $0) } ?? ProcessInfo.processInfo.activeProcessorCount
        }
        // More threads than cores only adds OpenBLAS buffers (tens of MiB of
        // address space each), never speed.
        set {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            squeeze_openblas_set_threads(Int32(clamping: max(1, min(newValue, cores))))
        }
    }
}
