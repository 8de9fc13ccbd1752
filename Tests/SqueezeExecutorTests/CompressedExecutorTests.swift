import Foundation
import SqueezeExecutor
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

/// The compressed executor against the dense reference on small networks that
/// cover every layer form it runs, in every weight storage, batch size and
/// thread count.
@Suite("compressed executor matches the dense reference")
struct CompressedExecutorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let input: [Int]
        let layers: String
        var testDescription: String { name }
    }

    /// How a case's weights are stored.
    enum Form: String, CaseIterable, Sendable {
        case dense, pruned, shared, prunedShared, nearlyDense
        /// Weight-shared and pruned, with every third output channel pruned away entirely.
        case emptyRows
    }

    static func layer(_ name: String, _ type: String, _ bottoms: [String], _ top: String, _ params: String = "") -> String {
        "layer { name: \"\(name)\" type: \"\(type)\" " + bottoms.map { "bottom: \"\($0)\" " }.joined()
            + "top: \"\(top)\" \(params) }\n"
    }

    static func conv(_ name: String, _ bottom: String, _ params: String) -> String {
        layer(name, "Convolution", [bottom], name, "convolution_param { \(params) }")
    }

    /// A fire module on `bottom`: a 1x1 squeeze, 1x1 and 3x3 expands (the
    /// 3x3's ReLU with `slope`), concatenated into "cat".
    static func fire(_ bottom: String, squeeze: Int, expand: Int, slope: String = "") -> String {
        conv("squeeze", bottom, "num_output: \(squeeze) kernel_size: 1")
            + layer("r1", "ReLU", ["squeeze"], "squeeze")
            + conv("e1", "squeeze", "num_output: \(expand) kernel_size: 1")
            + layer("r2", "ReLU", ["e1"], "e1")
            + conv("e3", "squeeze", "num_output: \(expand) kernel_size: 3 pad: 1")
            + layer("r3", "ReLU", ["e3"], "e3", slope)
            + layer("cat", "Concat", ["e1", "e3"], "cat")
    }

    static let cases: [Case] = [
        Case(name: "7x7 stride 2 (conv1 of SqueezeNet), max pool ceil", input: [3, 37, 37], layers:
            conv("conv1", "data", "num_output: 8 kernel_size: 7 stride: 2")
            + layer("relu1", "ReLU", ["conv1"], "conv1")
            + layer("pool1", "Pooling", ["conv1"], "pool1", "pooling_param { pool: MAX kernel_size: 3 stride: 2 }")),
        Case(name: "fire module, concat in place, 1x1 pad 1, global average", input: [6, 21, 19], layers:
            fire("data", squeeze: 4, expand: 8)
            + layer("drop", "Dropout", ["cat"], "cat", "dropout_param { dropout_ratio: 0.5 }")
            + conv("final", "cat", "num_output: 12 kernel_size: 1 pad: 1")
            + layer("r4", "ReLU", ["final"], "final")
            + layer("gap", "Pooling", ["final"], "gap", "pooling_param { pool: AVE global_pooling: true }")
            + layer("prob", "Softmax", ["gap"], "prob")),
        Case(name: "grouped, strided and dilated convolutions, leaky ReLU", input: [4, 23, 17], layers:
            conv("g", "data", "num_output: 8 kernel_size: 3 pad: 2 group: 2")
            + layer("leaky", "ReLU", ["g"], "g", "relu_param { negative_slope: 0.1 }")
            + conv("s", "g", "num_output: 8 kernel_h: 3 kernel_w: 5 stride_h: 2 stride_w: 3 pad_h: 1 pad_w: 2")
            + conv("d", "s", "num_output: 4 kernel_size: 3 dilation: 2 pad: 2")),
        Case(name: "average pool with padding, ReLU to a new blob, inner products", input: [3, 12, 12], layers:
            conv("c", "data", "num_output: 8 kernel_size: 3 pad: 1")
            + layer("relu", "ReLU", ["c"], "r")
            + layer("pool", "Pooling", ["r"], "pool", "pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }")
            + layer("fc1", "InnerProduct", ["pool"], "fc1", "inner_product_param { num_output: 20 }")
            + layer("rf", "ReLU", ["fc1"], "fc1")
            + layer("fc2", "InnerProduct", ["fc1"], "fc2", "inner_product_param { num_output: 7 }")),
        Case(name: "a blob read by a padded convolution and a concat, global max", input: [5, 30, 30], layers:
            conv("a", "data", "num_output: 8 kernel_size: 1")
            + conv("b", "a", "num_output: 8 kernel_size: 5 pad: 2")
            + layer("cat", "Concat", ["a", "b"], "cat")
            + conv("c", "cat", "num_output: 4 kernel_size: 3 pad: 1")
            + layer("gmp", "Pooling", ["c"], "gmp", "pooling_param { pool: MAX global_pooling: true }")),
        Case(name: "fire module pooled in bands by a ceil-mode max pool (folded into both expands)", input: [6, 62, 62], layers:
            fire("data", squeeze: 8, expand: 16, slope: "relu_param { negative_slope: 0.1 }")
            + layer("pool", "Pooling", ["cat"], "pool", "pooling_param { pool: MAX kernel_size: 3 stride: 2 }")
            + conv("after", "pool", "num_output: 4 kernel_size: 3 pad: 1")),
        Case(name: "a max pool's input read by another layer too (not folded)", input: [3, 20, 20], layers:
            conv("c", "data", "num_output: 8 kernel_size: 3 pad: 1")
            + layer("rc", "ReLU", ["c"], "c")
            + layer("pool", "Pooling", ["c"], "pool", "pooling_param { pool: MAX kernel_size: 3 stride: 2 }")
            + conv("e", "c", "num_output: 8 kernel_size: 3 stride: 2 pad: 1")
            + layer("cat", "Concat", ["pool", "e"], "cat")
            + conv("final", "cat", "num_output: 4 kernel_size: 1")),
        Case(name: "3x3 over rows exactly one line wide (14 + border: no line padding), and wider 5x5 copies",
             input: [3, 14, 14], layers:
            conv("c", "data", "num_output: 8 kernel_size: 3 pad: 1")
            + layer("rc", "ReLU", ["c"], "c")
            + conv("w", "c", "num_output: 4 kernel_size: 5 pad: 2")),
        Case(name: "many input channels: rows run one block of channels at a time", input: [40, 9, 11], layers:
            conv("wide", "data", "num_output: 48 kernel_size: 1")
            + layer("rw", "ReLU", ["wide"], "wide")
            + conv("strided", "wide", "num_output: 8 kernel_size: 3 stride: 2 pad: 1")),
        Case(name: "planes big enough to split into bands of rows, a fire module's expands sharing one job", input: [5, 41, 36],
             layers: fire("data", squeeze: 8, expand: 12)
                + conv("next", "cat", "num_output: 6 kernel_size: 1")
                + layer("pool", "Pooling", ["next"], "pool", "pooling_param { pool: MAX kernel_size: 3 stride: 2 }")
                + conv("last", "pool", "num_output: 4 kernel_size: 3 pad: 1")),
        Case(name: "a 1x1 convolution alone reading a fire module (partial sums in the expands' job)", input: [6, 13, 11],
             layers: fire("data", squeeze: 8, expand: 24)
                + conv("next", "cat", "num_output: 10 kernel_size: 1")
                + layer("rn", "ReLU", ["next"], "next", "relu_param { negative_slope: 0.05 }")
                + conv("last", "next", "num_output: 4 kernel_size: 3 pad: 1")),
        Case(name: "partial sums whose output two steps read (summed by a step of its own)", input: [6, 13, 11],
             layers: fire("data", squeeze: 8, expand: 24)
                + conv("next", "cat", "num_output: 10 kernel_size: 1")
                + layer("rn", "ReLU", ["next"], "next")
                + conv("last", "next", "num_output: 4 kernel_size: 3 pad: 1")
                + layer("pool", "Pooling", ["next"], "pool", "pooling_param { pool: MAX kernel_size: 3 stride: 1 pad: 1 }")
                + layer("both", "Concat", ["last", "pool"], "both")),
    ]

    static func network(_ c: Case, batch: Int) throws -> Network {
        let text = "name: \"case\"\ninput: \"data\"\n" + ([batch] + c.input).map { "input_dim: \($0)\n" }.joined() + c.layers
        return try CaffeDefinition.network(prototxt: text)
    }

    static func model(_ network: Network, form: Form, seed: UInt64) throws -> Model {
        var random = SplitMix64(seed: seed)
        var parameters: [String: LayerParameters] = [:]
        let shapes = try network.inferShapes()
        for (layer, s) in zip(network.layers, shapes.layers) {
            guard let shape = s.weight else { continue }
            let bias = (0..<s.biasCount).map { _ in random.symmetric() * 0.2 }
            let count = shape.elementCount
            let density: Float = form == .nearlyDense ? 0.9 : 0.3
            let fanIn = count / shape.dimensions[0]
            let keep = (0..<count).map { i in
                form == .dense || form == .shared || (random.uniform() < density && !(form == .emptyRows && (i / fanIn) % 3 == 0))
            }
            let positions = (0..<count).filter { keep[$0] }.map(UInt32.init)
            let storage: WeightTensor.Storage
            switch form {
            case .dense:
                storage = .dense((0..<count).map { _ in random.symmetric() * 0.5 })
            case .pruned:
                storage = .sparse(positions: positions, values: positions.map { _ in random.symmetric() * 0.5 })
            case .shared, .prunedShared, .nearlyDense, .emptyRows:
                // A codebook with a zero entry, so some stored weights are zero.
                let codebook = (0..<16).map { $0 == 3 ? 0 : random.symmetric() * 0.5 }
                let stored = form == .shared ? count : positions.count
                storage = .shared(codebook: codebook, codes: (0..<stored).map { _ in UInt16(random.next() % 16) },
                                  positions: form == .shared ? nil : positions)
            }
            parameters[layer.name] = LayerParameters(weights: WeightTensor(shape: shape, storage: storage), bias: bias)
        }
        return Model(network: network, parameters: parameters)
    }

    @Test(arguments: cases, Form.allCases)
    func matchesDense(_ c: Case, form: Form) throws {
        for batch in [1, 3] {
            let model = try Self.model(Self.network(c, batch: batch), form: form, seed: 5)
            let dense = try DenseProgram(model: model, batchSize: batch).makeExecutor()
            let network = try CompressedNetwork(model: model)
            var random = SplitMix64(seed: 9)
            let input = (0..<dense.inputShape.elementCount).map { _ in random.symmetric() * 4 }
            let expected = try dense.run(input)
            // Three threads: items and bands that do not split evenly in two.
            // Every kernel set this processor runs (their tiles differ, so do their blocks).
            for threads in [1, 2, 3] {
                for kernels in SparseKernelSet.supported {
                    let executor = try network.program(batchSize: batch, threads: threads, kernels: kernels).makeExecutor()
                    #expect(executor.outputShape == dense.outputShape)
                    // Twice: the second run starts from the first run's arena.
                    for _ in 0..<2 {
                        let output = try executor.run(input)
                        let scale = max(expected.map(abs).max() ?? 1, 1e-3)
                        let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
                        #expect(worst <= 1e-4 * scale,
                                "batch \(batch), \(threads) thread(s), \(kernels): max |difference| \(worst), scale \(scale)")
                    }
                }
            }
        }
    }

    /// Threads of this process, from /proc (Linux).
    static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    @Test("executors give their worker threads back, even when dropped before the threads start")
    func workersEnd() throws {
        let model = try Self.model(Self.network(Self.cases[0], batch: 1), form: .pruned, seed: 1)
        let program = try CompressedNetwork(model: model).program(threads: 3)
        let before = Self.threadCount()
        let input = [Float](repeating: 0.5, count: program.inputShape.elementCount)
        for k in 0..<50 {
            let executor = try program.makeExecutor()
            // Half are dropped at once, half after running.
            if k % 2 == 1 { _ = try executor.run(input) }
        }
        // 100 workers were started; they leave within their spin time.
        let deadline = Date().addingTimeInterval(5)
        while Self.threadCount() > before + 20, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        // Other suites run in parallel and start threads too: a margin, far below 100.
        #expect(Self.threadCount() <= before + 20)
    }

    @Test("a max pool folds into the convolutions that alone produce its input, and only then")
    func poolingFolds() throws {
        func steps(_ name: String) throws -> [String] {
            let c = try #require(Self.cases.first { $0.name.hasPrefix(name) })
            let executor = try CompressedNetwork(model: Self.model(Self.network(c, batch: 1), form: .pruned, seed: 1))
                .program().makeExecutor()
            executor.startProfiling()
            return executor.profile?.names ?? []
        }
        #expect(try steps("7x7 stride 2") == ["conv1 + pool1 (phases)", "conv1 + pool1"])
        #expect(try steps("fire module pooled") == ["squeeze", "e1 + e3 + pool", "after"])
        #expect(try steps("a max pool's input") == ["c", "pool", "e (phases)", "e", "final"])
    }

    @Test("a 1x1 convolution that alone reads a job's output becomes partial sums there, at batch 1 on two or more threads")
    func partialSums() throws {
        func steps(_ name: String = "a 1x1 convolution alone", batch: Int, threads: Int) throws -> [String] {
            let c = try #require(Self.cases.first { $0.name.hasPrefix(name) })
            let executor = try CompressedNetwork(model: Self.model(Self.network(c, batch: batch), form: .pruned, seed: 1))
                .program(batchSize: batch, threads: threads).makeExecutor()
            executor.startProfiling()
            return executor.profile?.names ?? []
        }
        // Read only by the next job: each thread sums its own copy in that job.
        #expect(try steps(batch: 1, threads: 2) == ["squeeze", "e1 + e3 + next (partial sums)", "next (summed per thread) + last"])
        #expect(try steps("partial sums whose output two steps read", batch: 1, threads: 2)
            == ["squeeze", "e1 + e3 + next (partial sums)", "next (sum)", "last", "pool"])
        // One thread has nothing to gather; a batch would need partial sums per image.
        #expect(try steps(batch: 1, threads: 1) == ["squeeze", "e1 + e3", "next", "last"])
        #expect(try steps(batch: 3, threads: 2) == ["squeeze", "e1 + e3", "next", "last"])
    }

    @Test("wrong input and output sizes are refused")
    func sizes() throws {
        let model = try Self.model(Self.network(Self.cases[0], batch: 1), form: .pruned, seed: 1)
        let executor = try CompressedNetwork(model: model).program().makeExecutor()
        #expect(throws: ExecutorError.self) { try executor.run([1, 2, 3]) }
        var output = [Float](repeating: 0, count: 3)
        let input = [Float](repeating: 0, count: executor.inputShape.elementCount)
        #expect(throws: ExecutorError.self) {
            try input.withUnsafeBufferPointer { i in try output.withUnsafeMutableBufferPointer { try executor.run(i, into: $0) } }
        }
    }

    @Test("bad batch sizes and thread counts are refused at compile time; other operators run as generic steps")
    func refused() throws {
        let model = try Self.model(Self.network(Self.cases[0], batch: 1), form: .pruned, seed: 1)
        let network = try CompressedNetwork(model: model)
        #expect(throws: ExecutorError.invalidBatchSize(0)) { try network.program(batchSize: 0) }
        #expect(throws: ExecutorError.invalidThreadCount(0)) { try network.program(threads: 0) }
        let lrn = try CaffeDefinition.network(prototxt: "input: \"data\" input_dim: 1 input_dim: 2 input_dim: 5 input_dim: 5\n"
            + Self.layer("norm", "LRN", ["data"], "norm", "lrn_param { local_size: 3 }"))
        let lrnModel = Model(network: lrn, parameters: [:])
        let x = (0..<50).map { Float($0 % 7) - 3 }
        let compressed = try CompressedNetwork(model: lrnModel).program().makeExecutor().run(x)
        let dense = try DenseProgram(model: lrnModel).makeExecutor().run(x)
        #expect(compressed.count == dense.count)
        #expect(zip(compressed, dense).allSatisfy { abs($0 - $1) <= 1e-6 })
    }
}

/// The compressed executor on the real Deep-Compression SqueezeNet.
@Suite("compressed SqueezeNet")
struct CompressedSqueezeNetTests {
    static let model = Result { () throws -> Model in
        let network = try CaffeDefinition.network(contentsOf: SharedData.squeezeNetPrototxt)
        return try DeepCompressionFile.read(contentsOf: SharedData.squeezeNetWeights, network: network)
    }

    @Test("logits within 1e-3 of the largest magnitude of the dense path's and onnxruntime's, same top-1",
          arguments: SharedData.referenceImages)
    func logits(name: String) throws {
        let model = try Self.model.get()
        let input = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".input.f32"))
        let golden = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".logits.f32"))
        let dense = try DenseProgram(model: model).makeExecutor().run(input)
        let network = try CompressedNetwork(model: model)
        for threads in [1, 2] {
            for kernels in SparseKernelSet.supported {
                let output = try network.program(threads: threads, kernels: kernels).makeExecutor().run(input)
                for reference in [dense, golden] { expectAgreement(output, reference) }
            }
        }
    }

    @Test("weights stay compressed: at most 1,200,000 bytes resident (dense float32 is 4,977,792)")
    func resident() throws {
        let program = try CompressedNetwork(model: Self.model.get()).program()
        #expect(program.weightBytesResident <= 1_200_000)
        #expect(program.network.weightCount <= 415_921)
    }

    @Test("a batch of three on two threads gives each image's batch-1 logits")
    func batch() throws {
        let network = try CompressedNetwork(model: Self.model.get())
        let single = try network.program().makeExecutor()
        var input: [Float] = [], expected: [Float] = []
        for name in SharedData.referenceImages {
            let x = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".input.f32"))
            input += x
            expected += try single.run(x)
        }
        let output = try network.program(batchSize: 3, threads: 2).makeExecutor().run(input)
        let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4)
    }
}
