// The bodies of SqueezeCompress's fuzz targets.
//
// One file, compiled twice: into the FuzzHarness library of the Fuzz package
// (whose executables libFuzzer drives, see Fuzz/Package.swift and
// tools/fuzz.sh), and, through the symlink
// Tests/SqueezeCompressTests/FuzzHarness.swift, into the main package's
// SqueezeCompressTests, whose FuzzRegressionTests feed it every seed in
// fixtures/fuzz/<target>/ and every past crash in fixtures/fuzz/regressions/<target>/.
// So it imports only SqueezeCompress (which re-exports every module) and
// Foundation.
//
// A target takes untrusted bytes, reads them as the command-line tool would,
// and ignores every thrown error: only a trap, a sanitizer report, a leak, a
// timeout or running out of memory is a finding. A reader that accepts
// hostile input and then crashes later is still a crash for users, so after a
// successful read the harness also does, cheaply, what the tool does next
// with such a model: validate it, report on it, re-encode it, build both
// engines, and when the network is small (see `Budget`) run one forward pass
// (for a prototxt, a training step too). A network too large to run is still
// set up, under a memory limit it cannot meet (`probeLimit`): the library
// must refuse it before allocating, so every size reaches the memory checks.
import Foundation
import SqueezeCompress

/// What the fuzz targets run, one static function per target.
public enum FuzzHarness {
    /// The fuzz targets; the raw value is the name tools/fuzz.sh and the
    /// fixture folders use.
    public enum Target: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
        /// `.sqz` bytes as they are.
        case container
        /// `.sqz` bytes with every checksum repaired first, so that mutations
        /// get past the CRC-32C checks to the sections' contents.
        case containerStructured = "container-structured"
        /// A Deep-Compression `.net` weight file for ``FuzzHarness/fixedPrototxt``.
        case deepCompression = "deep-compression"
        /// A Caffe network definition (text).
        case prototxt
        /// A binary `.caffemodel` (NetParameter with blobs) for ``FuzzHarness/fixedPrototxt``.
        case caffeModel = "caffemodel"
        /// An MNIST CSV file, plain or gzip-compressed.
        case mnist
        /// A JPEG file, decoded and preprocessed for the classifier.
        case jpeg
        /// The same bytes read as an ONNX model, as an ONNX `TensorProto` file
        /// and as a NumPy `.npy` file.
        case onnx

        public var description: String { rawValue }
    }

    /// How far an input got; the fuzzer ignores it, tests of the seeds use it
    /// to check that the seeds reach past the readers.
    public enum Outcome: Int, Comparable, Sendable, CustomStringConvertible {
        /// A reader refused the input (an error, as expected for most inputs).
        case rejected
        /// It was read; follow-up work was skipped (too large) or refused.
        case read
        /// It was read and the follow-up work ran (an engine, a training step,
        /// preprocessing, loading samples).
        case ran

        public static func < (a: Outcome, b: Outcome) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .rejected: "rejected"
            case .read: "read"
            case .ran: "ran"
            }
        }
    }

    /// Runs `target` on `bytes`.
    @discardableResult
    public static func run(_ target: Target, _ bytes: UnsafeRawBufferPointer) -> Outcome {
        run(target, [UInt8](bytes))
    }

    /// Runs `target` on `bytes`.
    @discardableResult
    public static func run(_ target: Target, _ bytes: [UInt8]) -> Outcome {
        prepare()
        switch target {
        case .container: return container(bytes)
        case .containerStructured: return containerStructured(bytes)
        case .deepCompression: return deepCompression(bytes)
        case .prototxt: return prototxt(bytes)
        case .caffeModel: return caffeModel(bytes)
        case .mnist: return mnist(bytes)
        case .jpeg: return jpeg(bytes)
        case .onnx: return onnx(bytes)
        }
    }

    // MARK: The targets

    /// A `.sqz` container as the tool opens it (`ModelLoader` for a `.sqz`).
    @discardableResult
    public static func container(_ bytes: [UInt8]) -> Outcome {
        prepare()
        guard let model = try? SqueezeContainer.decode(bytes, source: "fuzz.sqz") else { return .rejected }
        return afterReading(model, format: .squeeze, input: bytes)
    }

    /// The same, after `SqueezeContainer.repairingChecksums`: the header's and
    /// every section's CRC-32C are made to match, so a mutated length, tag,
    /// layer stream or network definition is what the decoder sees.
    @discardableResult
    public static func containerStructured(_ bytes: [UInt8]) -> Outcome {
        prepare()
        return container(SqueezeContainer.repairingChecksums(bytes))
    }

    /// A Deep-Compression `.net` file read for ``fixedNetwork``.
    @discardableResult
    public static func deepCompression(_ bytes: [UInt8]) -> Outcome {
        prepare()
        guard let network = fixedNetwork,
              let model = try? DeepCompressionFile.decode(Data(bytes), network: network, source: "fuzz.net")
        else { return .rejected }
        return afterReading(model, format: .deepCompression, input: bytes)
    }

    /// A `.caffemodel` read for ``fixedNetwork``.
    @discardableResult
    public static func caffeModel(_ bytes: [UInt8]) -> Outcome {
        prepare()
        guard let network = fixedNetwork,
              let model = try? CaffeWeights.decode(Data(bytes), network: network, source: "fuzz.caffemodel")
        else { return .rejected }
        return afterReading(model, format: .caffeModel, input: bytes)
    }

    /// A prototxt as `train`, `classify --prototxt` and `import` read it; a
    /// small network is then initialised as `train` does and run: one training
    /// step (forward, loss, backward) and one inference pass on each engine.
    @discardableResult
    public static func prototxt(_ bytes: [UInt8]) -> Outcome {
        prepare()
        // The tool refuses files that are not UTF-8; decoding with repair
        // reaches the parser with everything else.
        let text = String(decoding: bytes, as: UTF8.self)
        guard let network = try? CaffeDefinition.network(prototxt: text, source: "fuzz.prototxt") else {
            return .rejected
        }
        // What `report --alexnet` and `import` compute from a definition alone.
        _ = try? network.inferShapes()
        _ = network.outputNames
        _ = network.outputIsProbability
        // Larger networks are only set up, under a limit they cannot meet (see `probeLimit`).
        let small = Budget(network)?.isSmall == true
        guard let parameters = withMemoryLimit(small ? memoryLimit : probeLimit, {
            try? TrainableParameters(initializing: network, seed: 7)
        }) else { return .read }
        var outcome = Outcome.read
        if trainOneStep(parameters, run: small) { outcome = .ran }
        if afterReading(parameters.model, format: nil, input: bytes) == .ran { outcome = .ran }
        return outcome
    }

    /// An MNIST CSV file (plain or gzip) as `train --mnist` reads it, then its
    /// samples as training loads them.
    @discardableResult
    public static func mnist(_ bytes: [UInt8]) -> Outcome {
        prepare()
        guard let digits = readDigits(bytes) else { return .rejected }
        check(digits.count > 0 && digits.pixels.count == digits.count * MNISTDigits.pixelCount,
                     "MNISTDigits read \(digits.count) labels and \(digits.pixels.count) pixels")
        // A handful of samples from both ends, as a split and the trainer reach them.
        let (train, test) = digits.split(holdingOutEvery: 5)
        for index in Set([0, digits.count / 2, digits.count - 1]) {
            guard let sample = try? digits.load(index) else { finding("sample \(index) of \(digits.count) does not load") }
            check(sample.count == MNISTDigits.pixelCount && sample.allSatisfy { (0...1).contains($0) },
                  "sample \(index) has \(sample.count) values, or values outside 0...1")
            check((0...9).contains(digits.label(at: index)), "label \(digits.label(at: index)) of sample \(index)")
        }
        if train.count > 0 { _ = try? train.load(train.count - 1) }
        if test.count > 0 { _ = try? test.load(0) }
        return .ran
    }

    /// The largest JPEG the harness decodes, in pixels. The tool's limit is
    /// `RGBImage.defaultMaximumPixels` (100 megapixels); the check is the same
    /// at any limit, and a lower one keeps executions fast.
    public static let maximumJPEGPixels = 1 << 20

    /// A JPEG as `classify` and `evaluate` read it: decoded, then resized,
    /// centre-cropped and mean-subtracted into the 3x227x227 input tensor (for
    /// one input in four, chosen by its hash: most of an execution's time);
    /// and as training reads labelled folders, with a random crop and a
    /// mirror, at a small size.
    @discardableResult
    public static func jpeg(_ bytes: [UInt8]) -> Outcome {
        prepare()
        guard let image = try? RGBImage(jpegData: bytes, name: "fuzz.jpg", maximumPixels: maximumJPEGPixels) else {
            return .rejected
        }
        check(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
              "a \(image.width)x\(image.height) image with \(image.pixels.count) samples")
        let seed = hash(bytes)
        if seed % 4 == 0 {
            let input = Preprocessing.caffeImageNet.preprocess(image)
            check(input.count == 3 * 227 * 227 && input.allSatisfy(\.isFinite), "the input tensor has \(input.count) values, or one is not finite")
        }
        // Training's augmentation on a small crop, at a position from the input.
        let small = Preprocessing(resizeWidth: 24, resizeHeight: 20, cropWidth: 17, cropHeight: 16,
                                  mean: .init(red: 1, green: 2, blue: 3), channelOrder: .rgb, scale: 0.5)
        var generator = SeededGenerator(seed: seed, stream: 0)
        let crop = small.randomCrop(using: &generator)
        _ = small.preprocess(image, crop: crop, mirror: seed & 8 == 8)
        return .ran
    }

    /// The bytes as an ONNX model (`ONNXModel`), a standalone `TensorProto`
    /// (ONNX test data) and a `.npy` array (`HostTensor`), as the tool would
    /// read each. What is read is checked for consistency and, for tensors,
    /// written back and read again (``tensorRoundTrip(_:name:)``). Mapping a
    /// model's nodes to layers is not there yet; its attributes are read
    /// with every typed accessor.
    @discardableResult
    public static func onnx(_ bytes: [UInt8]) -> Outcome {
        prepare()
        var outcome = Outcome.rejected
        if let model = try? ONNXModel(serializedBytes: bytes, source: "fuzz.onnx") {
            afterReading(model)
            outcome = .ran
        }
        if let tensor = try? ONNXModel.decodeTensor(bytes, source: "fuzz.pb") {
            checkTensor(tensor, "the tensor file")
            tensorRoundTrip(HostTensor(shape: tensor.dimensions, values: tensor.values.floats), name: tensor.name)
            outcome = .ran
        }
        if let tensor = try? HostTensor(npyBytes: bytes, source: "fuzz.npy") {
            check(tensor.shapeFailure == nil, "a .npy array that was read is inconsistent: \(tensor.shapeFailure ?? "")")
            tensorRoundTrip(tensor, name: "npy")
            outcome = .ran
        }
        return outcome
    }

    // MARK: After a successful read

    /// The tool's next steps with a model it has read: a summary line,
    /// validation, a round trip through the container, and for small
    /// networks both engines. The slower steps, the compression report (three
    /// encodings, zstd -19 among them) and pruning and quantization, run for
    /// one input in four, chosen by a hash of `input` so that every run of the
    /// same input does the same.
    static func afterReading(_ model: Model, format: ModelFormat?, input: [UInt8]) -> Outcome {
        let thorough = hash(input) % 4 == 0
        if format != nil {
            // What `LoadedModel.summary` (printed by `classify` and `evaluate`) counts.
            _ = (model.weightCount, model.nonZeroWeightCount)
        }
        guard (try? model.validate()) != nil else {
            finding("a model that was read does not validate")
        }
        _ = model.network.outputIsProbability
        // `report`: the same model in three codecs, against AlexNet's size.
        if thorough { _ = try? CompressionReport(model: model, containerBytes: format == nil ? nil : input.count) }
        // `encode`/`import`: a model that was read and validated can be stored.
        roundTrip(model, mustEncode: true)
        let small = Budget(model.network)?.isSmall == true
        var outcome = Outcome.read
        if runEngines(model, run: small) { outcome = .ran }
        guard small else { return outcome }
        // `prune` and `quantize`, cheaply. Their results may be refused by the
        // encoder (k-means can overflow to an infinite centroid on weights
        // near Float.greatestFiniteMagnitude: an error message, not a crash).
        if thorough, let pruned = try? Pruner.prune(model, plan: PruningPlan(defaultRule: .density(0.5))).model {
            roundTrip(pruned, mustEncode: false)
            if let shared = try? Quantizer.quantize(pruned, plan: QuantizationPlan(convolutionBits: 3, fullyConnectedBits: 2)).model {
                roundTrip(shared, mustEncode: false)
            }
        }
        return outcome
    }

    /// What the ONNX reader promises of a model it returns: initializers
    /// consistent with their shapes and named as listed, named nodes within
    /// the layer ceilings, and attribute accessors that
    /// agree with the attributes' types. Small float tensors go through both
    /// tensor file writers and back.
    static func afterReading(_ model: ONNXModel) {
        check(model.nodes.count <= SizeLimits.maximumLayerCount, "\(model.nodes.count) nodes")
        check(model.initializerNames.count == model.initializers.count
              && model.initializerNames.allSatisfy { model.initializers[$0] != nil }, "initializer names and tensors disagree")
        for (name, tensor) in model.initializers {
            check(tensor.name == name, "initializer '\(name)' is named '\(tensor.name)'")
            checkTensor(tensor, "initializer '\(name)'")
            if tensor.values.count <= 4096 {
                tensorRoundTrip(HostTensor(shape: tensor.dimensions, values: tensor.values.floats), name: name)
            }
        }
        for info in model.inputs + model.outputs {
            check(!info.name.isEmpty && (info.dimensions?.count ?? 0) <= SizeLimits.maximumRank, "value info '\(info.name)'")
        }
        check(!model.initializerNames.contains { name in model.inputs.contains { $0.name == name } },
              "an initializer is listed among the inputs")
        for node in model.nodes {
            check(!node.name.isEmpty && !node.opType.isEmpty, "a node without a name or operator")
            check(node.inputs.count <= SizeLimits.maximumLayerArity && node.outputs.count <= SizeLimits.maximumLayerArity,
                  "node '\(node.name)' has too many inputs or outputs")
            for (name, attribute) in node.attributes {
                // Exactly the accessor for the attribute's type answers.
                let answers = [
                    (try? node.int(name)) != nil, (try? node.ints(name)) != nil, (try? node.float(name)) != nil,
                    (try? node.floats(name)) != nil, (try? node.string(name)) != nil, (try? node.strings(name)) != nil,
                    (try? node.tensor(name)) != nil,
                ]
                let expected = if case .unsupported = attribute { 0 } else { 1 }
                check(answers.filter { $0 }.count == expected, "attribute '\(name)' (\(attribute.typeName)): accessors disagree")
                if case .tensor(let tensor) = attribute { checkTensor(tensor, "attribute '\(name)'") }
                _ = attribute.description
            }
        }
    }

    /// A decoded ONNX tensor holds as many values as its dimensions say.
    static func checkTensor(_ tensor: ONNXTensor, _ what: String) {
        check(tensor.dimensions.count <= SizeLimits.maximumRank && tensor.dimensions.allSatisfy { $0 >= 0 }
              // Checked: huge dimensions beside a zero one hold no values, and their product overflows.
              && tensor.values.count == (tensor.dimensions.contains(0) ? 0 : Checked.product(tensor.dimensions)),
              "\(what): \(tensor.values.count) values for \(tensor.dimensions)")
        check(tensor.values.count <= SizeLimits.maximumElementCount, "\(what) passes the element ceiling")
    }

    /// Writes `tensor` as a `.npy` file and as a `TensorProto` and reads both
    /// back: what the writers make must read as the same bits.
    static func tensorRoundTrip(_ tensor: HostTensor, name: String) {
        guard let npy = try? tensor.npyBytes(), let proto = try? tensor.tensorProtoBytes(name: name) else {
            finding("a tensor that was read cannot be written (\(tensor.shape), \(tensor.values.count) values)")
        }
        guard let fromNPY = try? HostTensor(npyBytes: npy, source: "round-trip.npy"),
              let (readName, fromProto) = try? HostTensor.decodeTensorProto(proto, source: "round-trip.pb")
        else { finding("a tensor file the writers made does not read back") }
        check(readName == name, "the tensor's name changes in a round trip")
        for copy in [fromNPY, fromProto] {
            check(copy.shape == tensor.shape && copy.values.map(\.bitPattern) == tensor.values.map(\.bitPattern),
                  "a tensor changes in a round trip through a tensor file")
        }
    }

    /// Encodes `model` raw (fast; the report ran Huffman and zstd) and
    /// decodes it: what the tool writes must read back the same.
    static func roundTrip(_ model: Model, mustEncode: Bool) {
        let encoded: SqueezeContainer.Encoding
        do {
            encoded = try SqueezeContainer.encode(model, options: ContainerOptions(codec: .raw))
        } catch {
            if mustEncode { finding("a valid model cannot be encoded: \(error)") }
            return
        }
        let decoded: Model
        do {
            decoded = try SqueezeContainer.decode(encoded.bytes, source: "round-trip.sqz")
        } catch {
            finding("a container the encoder wrote does not decode: \(error)")
        }
        // Unequal networks are compared again as binary definitions: a NaN
        // hyper-parameter (a ReLU slope of nan) is never equal to itself, but
        // it is stored faithfully.
        check(decoded.network == model.network
              || (try? CaffeDefinition.binaryDefinition(for: decoded.network)) == (try? CaffeDefinition.binaryDefinition(for: model.network)),
              "the network changes in a container round trip")
        for (name, p) in model.parameters {
            guard let q = decoded.parameters[name] else { finding("layer '\(name)' is lost in a round trip") }
            check(q.weights.shape == p.weights.shape, "layer '\(name)' changes shape in a round trip")
            check(same(q.bias, p.bias), "layer '\(name)' biases change in a round trip")
            check(same(q.weights.denseValues(), p.weights.denseValues()), "layer '\(name)' weights change in a round trip")
        }
    }

    /// Stops the process with `message`: a finding. (`fatalError`, which
    /// keeps its message in release builds, unlike `precondition`.)
    static func finding(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        fatalError("fuzz finding: \(message)", file: file, line: line)
    }

    /// A finding unless `condition` holds.
    static func check(_ condition: Bool, _ message: @autoclosure () -> String = "a check failed",
                      file: StaticString = #fileID, line: UInt = #line) {
        if !condition { finding(message(), file: file, line: line) }
    }

    /// FNV-1a of `bytes`.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// Equal values, NaN matching NaN.
    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    /// Builds the dense and the compressed engine at batch 1 and, with `run`,
    /// runs each once; true when one ran. Without `run` (a network too large
    /// to run here) they are built under ``probeLimit``.
    static func runEngines(_ model: Model, run: Bool) -> Bool {
        var ran = false
        for kind in [EngineKind.dense, .compressed] {
            guard let engine = withMemoryLimit(run ? memoryLimit : probeLimit, {
                try? model.engineFactory(kind, batchSize: 1).makeEngines(1).first
            }), run else { continue }
            let input = testPattern(engine.inputShape.elementCount)
            guard let output = try? engine.run(input) else { continue }
            check(output.count == engine.outputShape.elementCount, "\(kind) engine: \(output.count) outputs for \(engine.outputShape)")
            ran = true
        }
        return ran
    }

    /// What `train` does with fresh parameters, for one image: a training
    /// graph, a forward pass with dropout, the loss, a backward pass; then
    /// the forward-only graph the evaluator uses. Without `run` only the
    /// training graph is built, under ``probeLimit``.
    static func trainOneStep(_ parameters: TrainableParameters, run: Bool) -> Bool {
        guard let graph = withMemoryLimit(run ? memoryLimit : probeLimit, {
            try? TrainingGraph(parameters: parameters, capacity: 1)
        }), run else { return false }
        let pattern = testPattern(graph.input.count)
        _ = graph.input.update(fromContentsOf: pattern)
        graph.forward(count: 1, dropoutSeed: 3)
        _ = graph.applyLoss(.crossEntropy, labels: [graph.classCount - 1], scale: 1)
        graph.backward(count: 1)
        if let evaluator = try? TrainingGraph(parameters: parameters, capacity: 1, forTraining: false) {
            _ = evaluator.input.update(fromContentsOf: pattern)
            evaluator.forward(count: 1)
        }
        return true
    }

    /// A fixed input with both signs and some repeats (max pooling ties).
    static func testPattern(_ count: Int) -> [Float] {
        (0..<count).map { Float($0 % 7) - 3 }
    }

    // MARK: Size budget

    /// Whether a network is small enough to run in a fuzz iteration, worked
    /// out with checked arithmetic from its shapes at batch 1: elements of
    /// every blob, weight tensor, padded input and im2col matrix, and the
    /// multiply-adds of one forward pass. Nil when shape inference refuses
    /// the network.
    public struct Budget: Sendable {
        /// Most floats one forward pass may touch (inputs, outputs, weights, scratch).
        public static let maximumElements = 1 << 17
        /// Most multiply-adds (or comparisons) of one forward pass.
        public static let maximumOperations = 1 << 19
        /// Most layers.
        public static let maximumLayers = 64

        /// Total elements; nil when the sum overflowed.
        public var elements: Int? = 0
        /// Total operations; nil when the sum overflowed.
        public var operations: Int? = 0
        /// Layers.
        public var layers = 0

        public var isSmall: Bool {
            guard let elements, let operations else { return false }
            return elements <= Self.maximumElements && operations <= Self.maximumOperations && layers <= Self.maximumLayers
        }

        public init?(_ network: Network) {
            guard let shapes = try? network.inferShapes(batchSize: 1) else { return nil }
            layers = network.layers.count
            for input in network.inputs { addElements(Self.product(input.shape.withBatch(1).dimensions)) }
            for (layer, s) in zip(network.layers, shapes.layers) {
                var outputs: Int? = 0
                for shape in s.outputs { outputs = Self.add(outputs, Self.product(shape.dimensions)) }
                addElements(outputs)
                addOperations(outputs)
                if let weight = s.weight {
                    addElements(Self.add(Self.product(weight.dimensions), s.biasCount))
                }
                guard let x = s.inputs.first else { continue }
                switch layer.kind {
                case let p as Convolution:
                    let y = s.outputs.first ?? x
                    let fanIn = Self.product([x.channels / max(p.groups, 1), p.kernel.height, p.kernel.width])
                    let grid = Self.product([y.height, y.width])
                    addElements(Self.multiply(fanIn, grid))
                    addElements(padded(x, p.padding))
                    addOperations(Self.multiply(Self.multiply(fanIn, grid), p.outputChannels))
                case is InnerProduct:
                    addOperations(s.weight.flatMap { Self.product($0.dimensions) })
                case let p as Pooling:
                    addElements(padded(x, p.padding))
                    addOperations(p.isGlobal ? Self.product(x.dimensions)
                        : Self.multiply(outputs, Self.product([p.kernel.height, p.kernel.width])))
                case let p as LRN:
                    let window = p.region == .acrossChannels ? p.localSize : Self.multiply(p.localSize, p.localSize)
                    addOperations(Self.multiply(outputs, window))
                default:
                    break
                }
            }
        }

        private func padded(_ x: TensorShape, _ padding: Spatial) -> Int? {
            Self.product([x.channels]).flatMap { c in
                Self.multiply(Self.multiply(c, Self.add(x.height, Self.multiply(2, padding.height))),
                              Self.add(x.width, Self.multiply(2, padding.width)))
            }
        }

        private mutating func addElements(_ n: Int?) { elements = Self.add(elements, n) }
        private mutating func addOperations(_ n: Int?) { operations = Self.add(operations, n) }

        static func add(_ a: Int?, _ b: Int?) -> Int? {
            guard let a, let b else { return nil }
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? nil : sum
        }

        static func multiply(_ a: Int?, _ b: Int?) -> Int? {
            guard let a, let b else { return nil }
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? nil : product
        }

        static func product(_ values: [Int]) -> Int? {
            values.reduce(Optional(1)) { multiply($0, $1) }
        }
    }

    // MARK: Fixed network and setup

    /// The network the `.net` and `.caffemodel` targets read weights for:
    /// small, with every weighted form the readers and engines handle
    /// (3x3 with padding, grouped 1x1, fully connected) and the layers around
    /// them. tools/make-fuzz-corpus.sh writes its seeds for this definition
    /// (Fuzz/Scripts/corpus.py reads it from this file to make the seeds).
    public static let fixedPrototxt = """
        name: "fuzz-fixed"
        input: "data"
        input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
                convolution_param { num_output: 4 kernel_size: 1 group: 2 } }
        layer { name: "conv3" type: "Convolution" bottom: "pool1" top: "conv3"
                convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
        layer { name: "cat" type: "Concat" bottom: "conv2" bottom: "conv3" top: "cat" }
        layer { name: "pool2" type: "Pooling" bottom: "cat" top: "pool2" pooling_param { pool: AVE global_pooling: true } }
        layer { name: "ip" type: "InnerProduct" bottom: "pool2" top: "ip" inner_product_param { num_output: 5 } }
        layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
        """

    /// ``fixedPrototxt`` read once.
    public static let fixedNetwork: Network? = try? CaffeDefinition.network(prototxt: fixedPrototxt, source: "fixed.prototxt")

    /// The memory limit the harness runs under: work planned past it is
    /// refused (by the readers and engines that check ``MemoryLimit``).
    public static let memoryLimit = MemoryLimit(bytes: 256 << 20)

    /// The limit engines, parameters and training graphs of networks too
    /// large to run here (not ``Budget/isSmall``) are set up under: they are
    /// still built, so that every size reaches the code that plans memory,
    /// but whatever needs more than this must be refused before it is
    /// allocated. Building one that passes it unchecked is an OOM or a
    /// timeout, a finding, instead of a slow execution.
    public static let probeLimit = MemoryLimit(bytes: 1 << 20)

    /// `body` with ``MemoryLimit/current`` set to `limit`.
    static func withMemoryLimit<T>(_ limit: MemoryLimit, _ body: () -> T) -> T {
        let saved = MemoryLimit.current
        MemoryLimit.current = limit
        defer { MemoryLimit.current = saved }
        return body()
    }

    private static let prepared: Bool = {
        MemoryLimit.current = memoryLimit
        return true
    }()

    /// Sets the memory limit (once).
    public static func prepare() {
        _ = prepared
    }

    // MARK: MNIST bytes

    /// The digits in `bytes`, read as `MNISTDigits(contentsOf:)` reads a
    /// file's bytes (under ``memoryLimit``).
    static func readDigits(_ bytes: [UInt8]) -> MNISTDigits? {
        try? MNISTDigits(bytes: bytes, source: "fuzz.csv")
    }
}
