import ArgumentParser
import Foundation
import SqueezeCompress

extension SparseKernelSet: ExpressibleByArgument {}

/// `squeeze-compress bench`: load time and per-batch latency of a model.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time opening a model and running batches: median and p90 latency, images/s, resident weight bytes.")

    @Argument(help: ArgumentHelp("The model (.sqz, or .net/.caffemodel with --prototxt).", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The network definition, for .net and .caffemodel models.", valueName: "prototxt"))
    var prototxt: String?

    @Option(help: EngineKind.help)
    var engine: EngineKind?

    @Option(help: "Images per run.")
    var batch = 1

    @Option(help: "Threads inside one run.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Timed runs.")
    var iterations = 100

    @Option(help: "Untimed runs before timing.")
    var warmup = 10

    @Option(help: ArgumentHelp("The compressed engine's sparse kernels: avx2 or avx512 (default: the widest this processor runs).",
                               valueName: "set"))
    var kernels: SparseKernelSet?

    @Flag(help: "Also time each layer (compressed engine).")
    var layers = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be between 1 and 4096") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard (1...1_000_000).contains(iterations) else { throw ValidationError("--iterations must be between 1 and 1000000") }
        guard (0...1_000_000).contains(warmup) else { throw ValidationError("--warmup must be between 0 and 1000000") }
        if kernels != nil, engine == .dense { throw ValidationError("--kernels applies to the compressed engine") }
    }

    func run() throws {
        var c = LatencyBenchmark.Configuration(weights: URL(fileURLWithPath: model),
                                               prototxt: prototxt.map { URL(fileURLWithPath: $0) }, engine: engine)
        c.batchSize = batch
        c.threads = threads
        c.iterations = iterations
        c.warmup = warmup
        c.profileSteps = layers
        c.kernels = kernels
        let bar = ProgressBar("bench", total: iterations, quiet: json)
        let r = try LatencyBenchmark.run(c) { bar.update($0) }
        bar.finish()
        if json {
            try JSONOutput.print(r)
            return
        }
        let kernelNote = r.kernels.map { ", \($0) kernels" } ?? ""
        print("model      \(r.model) (\(r.engine.rawValue) engine\(kernelNote), batch \(r.batch), \(r.threads) thread(s))")
        print(String(format: "load       %.2f ms (open to ready)", r.loadMs))
        print(String(format: "latency    median %.3f ms, p90 %.3f ms, min %.3f ms, mean %.3f ms over %d runs",
                     r.medianMs, r.p90Ms, r.minMs, r.meanMs, r.iterations))
        print(String(format: "throughput %.1f images/s", r.imagesPerSecond))
        print("weights    \(r.weightBytesResident) bytes resident")
        print("arena      \(r.activationBytes) bytes of activations")
        if let steps = r.steps {
            let width = steps.map(\.name.count).max() ?? 0
            let total = steps.reduce(0) { $0 + $1.meanMs }
            print("")
            for s in steps {
                print(s.name.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: "  %8.3f ms  %5.1f%%", s.meanMs, 100 * s.meanMs / max(total, 1e-9)))
            }
        }
    }
}
