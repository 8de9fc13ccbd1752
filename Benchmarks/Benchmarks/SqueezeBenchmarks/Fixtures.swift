import Foundation
import SqueezeCompress

/// Where the imported Deep-Compression SqueezeNet container is.
enum SqueezeNetContainer {
    /// The environment variable that overrides the default path.
    static let variable = "SQUEEZE_SQZ"

    /// `$SQUEEZE_SQZ`, or `../.build/squeezenet.sqz` from this package's
    /// directory, where `tools/bench-vs-onnxruntime.sh` leaves it.
    static var url: URL {
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        // Found from the source location rather than the working directory,
        // which is the harness's to choose.
        let packageDirectory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent() // SqueezeBenchmarks
            .deletingLastPathComponent() // Benchmarks (the targets)
            .deletingLastPathComponent() // Benchmarks (the package)
        return packageDirectory.appendingPathComponent("../.build/squeezenet.sqz").standardizedFileURL
    }

    /// Says on stderr why the SqueezeNet benchmarks are not there, and how to make the file.
    static func reportMissing(_ url: URL) {
        let note = """
            SqueezeBenchmarks: \(url.path) not found; skipping the SqueezeNet benchmarks.
              Make it from the repository root (tools/bench-vs-onnxruntime.sh does the same) with
                swift run -c release squeeze-compress import \\
                  --prototxt ../shared/models/squeezenet-deep-compression/SqueezeNet_deploy.prototxt \\
                  --weights ../shared/models/squeezenet-deep-compression/compressed_SqueezeNet.net -o .build/squeezenet.sqz
              or point \(variable) at another .sqz.

            """
        FileHandle.standardError.write(Data(note.utf8))
    }
}

/// One engine with its input and output buffers, so that a timed run is the
/// forward pass alone: no array copies or allocations of the benchmark's own.
final class ForwardPass {
    let engine: any InferenceEngine
    private let input: UnsafeMutableBufferPointer<Float>
    private let output: UnsafeMutableBufferPointer<Float>

    /// Buffers for `engine`, the input seeded pseudo-random pixels in
    /// [-128, 128) like mean-subtracted image data; the time does not depend on
    /// the values.
    init(_ engine: any InferenceEngine) {
        self.engine = engine
        input = .allocate(capacity: engine.inputShape.elementCount)
        output = .allocate(capacity: engine.outputShape.elementCount)
        var generator = SeededGenerator(seed: 1)
        for i in input.indices { input[i] = Float.random(in: -128..<128, using: &generator) }
        output.initialize(repeating: 0)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// One forward pass.
    func run() throws {
        try engine.run(UnsafeBufferPointer(input), into: output)
    }
}

/// OpenBLAS's thread count, which is what sets the dense engine's threads.
///
/// The library's wrapper for it lives in a module the `SqueezeCompress`
/// product does not export, so the two C entry points are looked up in the
/// running process, where OpenBLAS is already loaded for the dense engine.
enum OpenBLASThreads {
    private typealias Setter = @convention(c) (Int32) -> Void
    private typealias Getter = @convention(c) () -> Int32

    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "OpenBLAS thread control (openblas_set_num_threads) not found in the process" }
    }

    /// The count OpenBLAS started with (its default, or `OPENBLAS_NUM_THREADS`).
    static let initial: Int = symbol("openblas_get_num_threads", as: Getter.self).map { Int($0()) } ?? 1

    /// Makes each BLAS call use `count` threads.
    static func set(_ count: Int) throws {
        guard let setter = symbol("openblas_set_num_threads", as: Setter.self) else { throw Unavailable() }
        // `initial` is read lazily: read it before the first change.
        _ = initial
        setter(Int32(max(1, count)))
    }

    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        guard let process = dlopen(nil, RTLD_NOW), let address = dlsym(process, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}

/// A stream of 8-bit codebook indices as weight sharing leaves them, its
/// optimal length-limited code and its encoding.
struct HuffmanMessage {
    let symbols: [UInt16]
    let code: HuffmanCode
    let encoded: [UInt8]

    /// `count` seeded indices in a bell around the middle of 256 centroids
    /// (about 6.6 bits of entropy per symbol, so the code is neither trivial
    /// nor flat).
    init(count: Int) throws {
        var generator = SeededGenerator(seed: 7)
        symbols = (0..<count).map { _ in
            UInt16(min(max(128 + 24 * generator.nextGaussian(), 0), 255))
        }
        var frequencies = [Int](repeating: 0, count: 256)
        for s in symbols { frequencies[Int(s)] += 1 }
        code = HuffmanCode(frequencies: frequencies)
        encoded = try code.encode(symbols)
    }
}

/// Spins for `milliseconds`: a pause between two measured runs, spent busy
/// rather than asleep. After a 20 ms sleep the next opening on the 2-core
/// development VM measured ~6 ms slower (median 12.9 ms against 6.9 ms back to
/// back); after 20 ms of spinning it measures as back to back.
func keepBusy(milliseconds: Int) {
    let end = DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
    while DispatchTime.now().uptimeNanoseconds < end {}
}
