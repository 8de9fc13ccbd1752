import Foundation
import SqueezeExecutor
import SqueezeImage
import SqueezeKernels

/// Runs a model over JPEG files on several threads, one engine per thread, and
/// hands each image's output row to a callback.
///
/// Parallelism is across images rather than inside BLAS: a batch-1 forward pass
/// has too little work per GEMM to keep two cores busy, whole images do.
struct ImageRunner {
    let factory: any InferenceEngineFactory
    let preprocessing: Preprocessing
    let threads: Int
    /// What the engines and the images in flight may take together.
    var memoryLimit: MemoryLimit = .current

    /// The least memory an image in flight is given (its file, decoded pixels
    /// and resampling rows): enough for a 1-megapixel photo.
    static let minimumImageBytes = 8 << 20

    /// The most pixels an image may have so that `workers` engines and as many
    /// decoded images fit in `memoryLimit` together (at most the decoder's
    /// default); refused when not even ``minimumImageBytes`` per image fit.
    static func pixelBudget(factory: any InferenceEngineFactory, workers: Int,
                            memoryLimit: MemoryLimit) throws(ExecutorError) -> Int {
        var estimate = factory.memoryEstimate(engines: workers)
        let engines = estimate.total
        estimate.add("decoding \(workers) image(s) at once", bytes: Checked.saturatingMultiply(minimumImageBytes, workers))
        do { try memoryLimit.check(estimate) } catch { throw .resource(error) }
        let perImage = (memoryLimit.bytes - engines) / workers
        // Decoded pixels take 3 bytes and the file, resampling and slack about as much again.
        return min(RGBImage.defaultMaximumPixels, perImage / 6)
    }

    /// Runs every file; stops at the first error (an unreadable image names its file).
    ///
    /// - Parameters:
    ///   - files: the images.
    ///   - progress: called after each image with the number done so far.
    ///   - consume: called with each image's index and output row, from worker threads.
    func run(
        _ files: [URL],
        progress: (@Sendable (Int) -> Void)? = nil,
        consume: @escaping @Sendable (Int, UnsafeBufferPointer<Float>) -> Void
    ) throws {
        guard factory.inputShape.batch == 1 else {
            throw ClassificationError.batchSize(factory.inputShape.batch)
        }
        guard factory.inputShape.itemCount == preprocessing.outputCount else {
            throw ClassificationError.inputMismatch(network: factory.inputShape, preprocessing: preprocessing.outputShape)
        }
        let workers = max(1, min(threads, files.count))
        let maximumPixels = try Self.pixelBudget(factory: factory, workers: workers, memoryLimit: memoryLimit)
        let state = RunnerState()
        let factory = self.factory, preprocessing = self.preprocessing
        // Several workers: each GEMM single-threaded so the workers own the cores.
        BLAS.withThreadCount(workers > 1 ? 1 : max(1, threads)) {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                do {
                    let engine = try factory.makeEngine()
                    var input = [Float](repeating: 0, count: engine.inputShape.elementCount)
                    var output = [Float](repeating: 0, count: engine.outputShape.elementCount)
                    while let index = state.next(limit: files.count) {
                        try input.withUnsafeMutableBufferPointer { buffer in
                            try preprocessing.preprocess(jpegAt: files[index], maximumPixels: maximumPixels, into: buffer)
                        }
                        try input.withUnsafeBufferPointer { i in
                            try output.withUnsafeMutableBufferPointer { o in try engine.run(i, into: o) }
                        }
                        output.withUnsafeBufferPointer { consume(index, $0) }
                        progress?(state.finishOne())
                    }
                } catch {
                    state.fail(error)
                }
            }
        }
        if let error = state.error { throw error }
    }
}

/// Work distribution and the first error, shared by the workers.
private final class RunnerState: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var done = 0
    private(set) var error: (any Error)?

    func next(limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, nextIndex < limit else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    func finishOne() -> Int {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        return done
    }

    func fail(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }
}
