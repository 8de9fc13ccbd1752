import Benchmark
import Foundation
import SqueezeCompress

/// The suite: opening the imported SqueezeNet, one batch-1 forward pass of each
/// engine, and canonical Huffman coding of a million symbols.
///
/// Every benchmark runs in a process of its own (the harness spawns one per
/// benchmark), so engines, worker pools and OpenBLAS settings never leak from
/// one measurement into the next.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 3,
        // Two seconds or 200 runs, whichever comes first: the eight benchmarks
        // together take about half a minute.
        maxDuration: .seconds(2),
        maxIterations: 200
    )
    registerModelBenchmarks()
    registerHuffmanBenchmarks()
}

// MARK: - SqueezeNet

/// Opening the container and the forward passes; skipped, with a note on
/// stderr, when the `.sqz` is missing.
private func registerModelBenchmarks() {
    let url = SqueezeNetContainer.url
    guard FileManager.default.fileExists(atPath: url.path) else {
        SqueezeNetContainer.reportMissing(url)
        return
    }

    for threads in [1, 2] {
        // File to engine ready to run, as `squeeze-compress bench` counts its
        // load time: read and decode, compact the weights, compile, allocate
        // the arena, start the worker threads.
        Benchmark("Open .sqz to ready", configuration: .init(tags: ["threads": "\(threads)"])) { benchmark in
            let loaded = try ModelLoader.load(weights: url)
            let program = try CompressedNetwork(model: loaded.model).program(batchSize: 1, threads: threads)
            let executor = try program.makeExecutor()
            benchmark.stopMeasurement()
            // Unmeasured, and the same for both thread counts: a new worker
            // starts and spins while the next opening would be measured, on
            // the same two cores. Let it start and settle before release.
            keepBusy(milliseconds: 20)
            blackHole(executor)
        }
    }

    for threads in [1, 2] {
        Benchmark("Compressed forward, batch 1", configuration: .init(tags: ["threads": "\(threads)"])) { _, pass in
            try pass.run()
        } setup: {
            let model = try ModelLoader.load(weights: url).model
            return try ForwardPass(CompressedNetwork(model: model).program(batchSize: 1, threads: threads).makeExecutor())
        }
    }

    for threads in [1, 2] {
        // The dense engine's threads are OpenBLAS's, set the way the bench command sets them.
        Benchmark("Dense forward, batch 1", configuration: .init(tags: ["threads": "\(threads)"])) { _, pass in
            try pass.run()
        } setup: {
            try OpenBLASThreads.set(threads)
            let model = try ModelLoader.load(weights: url).model
            return try ForwardPass(model.engineFactory(.dense, batchSize: 1).makeEngine())
        } teardown: {
            try OpenBLASThreads.set(OpenBLASThreads.initial)
        }
    }
}

// MARK: - Huffman coding

/// Encoding and decoding one stream of a million codebook indices; the
/// message is built in setup, outside the measurement.
private func registerHuffmanBenchmarks() {
    let symbols = 1 << 20

    Benchmark("Huffman encode 1M symbols") { _, message in
        blackHole(try message.code.encode(message.symbols))
    } setup: {
        try HuffmanMessage(count: symbols)
    }

    Benchmark("Huffman decode 1M symbols") { _, message in
        blackHole(try message.code.decode(message.encoded, count: message.symbols.count))
    } setup: {
        try HuffmanMessage(count: symbols)
    }
}
