import Foundation
import SqueezeCompress
import Testing
import TestSupport

/// ONNX export (``ONNXWriter``), the import of its compression side tensors,
/// and the `export` and `run` commands.
@Suite("ONNX export and the round trip")
struct ONNXExportTests {
    // MARK: A small model of many operators

    static func values(_ count: Int, seed: Double) -> [Float] {
        (0..<count).map { Float(sin(Double($0) * 0.37 + seed) * 0.5) }
    }

    /// Every operator type the writer maps, SSA blob names (as an ONNX import
    /// makes them), a pruned convolution, a weight-shared grouped
    /// convolution, and a pruned and shared fully connected layer.
    static func smallModel() throws -> Model {
        let layers = [
            Layer(name: "conv1", kind: Convolution(outputChannels: 4, kernel: Spatial(3), padding: Spatial(1)),
                  bottoms: ["x"], tops: ["c1"]),
            Layer(name: "relu1", kind: ReLU(), bottoms: ["c1"], tops: ["r1"]),
            Layer(name: "conv2", kind: Convolution(outputChannels: 4, kernel: Spatial(3), stride: Spatial(2), padding: Spatial(1),
                                                   paddingEnd: Spatial(0), groups: 2, hasBias: false),
                  bottoms: ["r1"], tops: ["c2"]),
            Layer(name: "leaky", kind: ReLU(negativeSlope: 0.1), bottoms: ["c2"], tops: ["l2"]),
            Layer(name: "maxpool", kind: Pooling(method: .max, kernel: Spatial(2), stride: Spatial(2), countsPadding: false),
                  bottoms: ["l2"], tops: ["p1"]),
            Layer(name: "avgpool", kind: Pooling(method: .average, kernel: Spatial(4), stride: Spatial(4), padding: Spatial(1),
                                                 rounding: .floor, countsPadding: false),
                  bottoms: ["r1"], tops: ["p2"]),
            Layer(name: "add", kind: Eltwise(.sum), bottoms: ["p1", "p2"], tops: ["s1"]),
            Layer(name: "scale", kind: Eltwise(.product, constant: [0.5, 1, 1.5, 2], constantShape: [4, 1, 1]),
                  bottoms: ["s1"], tops: ["m1"]),
            Layer(name: "relu6", kind: Clip(minimum: 0, maximum: 6), bottoms: ["m1"], tops: ["k1"]),
            Layer(name: "cap", kind: Clip(minimum: -.infinity, maximum: 1), bottoms: ["k1"], tops: ["k2"]),
            Layer(name: "sigmoid", kind: Sigmoid(), bottoms: ["k2"], tops: ["g1"]),
            Layer(name: "hardsigmoid", kind: HardSigmoid(alpha: 0.25, beta: 0.4), bottoms: ["m1"], tops: ["g2"]),
            Layer(name: "hardswish", kind: HardSwish(), bottoms: ["g2"], tops: ["g3"]),
            Layer(name: "concat", kind: Concat(axis: 1), bottoms: ["g1", "g3"], tops: ["cat"]),
            Layer(name: "bn", kind: BatchNormalization(), bottoms: ["cat"], tops: ["bn1"]),
            Layer(name: "lrn", kind: LRN(localSize: 3, alpha: 0.001, beta: 0.75, k: 2), bottoms: ["bn1"], tops: ["n1"]),
            Layer(name: "transpose", kind: Transpose(permutation: [0, 1, 3, 2]), bottoms: ["n1"], tops: ["t1"]),
            Layer(name: "split", kind: Split(axis: 1, sizes: [3, 5]), bottoms: ["t1"], tops: ["sp1", "sp2"]),
            Layer(name: "slice", kind: Slice(starts: [1], ends: [3], axes: [1], steps: [1]), bottoms: ["sp2"], tops: ["sl1"]),
            Layer(name: "concat2", kind: Concat(axis: 1), bottoms: ["sp1", "sl1"], tops: ["c3"]),
            Layer(name: "flatten", kind: Reshape(shape: [0, 20]), bottoms: ["c3"], tops: ["f1"]),
            Layer(name: "fc", kind: InnerProduct(outputCount: 6), bottoms: ["f1"], tops: ["fc1"]),
            Layer(name: "sub", kind: Eltwise(.difference, constant: [0.25], constantShape: [1], constantPosition: 0),
                  bottoms: ["fc1"], tops: ["d1"]),
            Layer(name: "max", kind: Eltwise(.max), bottoms: ["fc1", "d1"], tops: ["mx"]),
            Layer(name: "softmax", kind: Softmax(axis: 1), bottoms: ["mx"], tops: ["prob"]),
        ]
        let network = Network(name: "small", inputs: [NetworkInput(name: "x", shape: [1, 3, 8, 8])], layers: layers)
        let conv1Positions = (0..<108).filter { $0 % 2 == 0 }.map { UInt32($0) }
        let fcPositions = (0..<120).filter { $0 % 3 != 0 }.map { UInt32($0) }
        let parameters: [String: LayerParameters] = [
            "conv1": LayerParameters(
                weights: WeightTensor(shape: [4, 3, 3, 3], storage: .sparse(positions: conv1Positions,
                                                                            values: values(conv1Positions.count, seed: 1))),
                bias: values(4, seed: 2)),
            "conv2": LayerParameters(
                weights: WeightTensor(shape: [4, 2, 3, 3], storage: .shared(codebook: [-0.5, -0.1, 0.2, 0.6],
                                                                            codes: (0..<72).map { UInt16($0 % 4) }, positions: nil)),
                bias: []),
            "bn": LayerParameters(weights: WeightTensor(shape: [8], values: values(8, seed: 3).map { $0 + 1 }), bias: values(8, seed: 4)),
            "fc": LayerParameters(
                weights: WeightTensor(shape: [6, 20], storage: .shared(codebook: [-0.3, 0.05, 0.4],
                                                                       codes: fcPositions.map { UInt16(($0 * 7) % 3) },
                                                                       positions: fcPositions)),
                bias: values(6, seed: 5)),
        ]
        let model = Model(network: network, parameters: parameters)
        try model.validate()
        return model
    }

    static func reimport(_ bytes: [UInt8], source: String = "exported.onnx") throws(ReaderError) -> Model {
        try ONNXNetworkBuilder.model(ONNXModel(serializedBytes: bytes, source: source), source: source)
    }

    static func run(_ model: Model, _ engine: EngineKind, _ input: [Float], batch: Int = 1) throws -> [Float] {
        try model.engineFactory(engine, batchSize: batch).makeEngine().run(input)
    }

    // MARK: Round trips

    @Test("export then import gives the same network and weights, masks and codebooks included")
    func smallModelRoundTrip() throws {
        let model = try Self.smallModel()
        // Opset 14: HardSwish is an operator of its own from there.
        let bytes = try ONNXWriter.serialize(model, metadata: [("preprocessing_json", "{}"), ("source.model", "small.sqz")], opset: 14)
        let onnx = try ONNXModel(serializedBytes: bytes, source: "small.onnx")
        #expect(onnx.irVersion == 8)
        #expect(onnx.opsetVersion == 14)
        #expect(onnx.producerName == "squeeze-compress")
        #expect(onnx.inputs.map(\.name) == ["x"])
        #expect(onnx.inputs.first?.dimensions == [.symbol("N"), .value(3), .value(8), .value(8)])
        #expect(onnx.outputs.map(\.name) == ["prob"])
        #expect(onnx.initializers["conv1.weight_mask"]?.dataType == .uint8)
        #expect(onnx.initializers["conv2.weight_codes"]?.dataType == .uint16)
        #expect(onnx.initializers["conv2.weight_mask"] == nil)
        #expect(onnx.initializers["fc.weight_codebook"]?.dimensions == [3])
        #expect(onnx.metadata.map(\.key) == ["preprocessing_json", "source.model", ONNXWriter.compressionMetadataKey])
        let json = try #require(onnx.metadataValue(forKey: ONNXWriter.compressionMetadataKey))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let layers = try #require(object["layers"] as? [String: [String: Any]])
        #expect(Set(layers.keys) == ["conv1", "conv2", "fc"])
        #expect(layers["fc"]?["codebook_size"] as? Int == 3)
        #expect(layers["fc"]?["pruned_code"] as? Int == 3)
        #expect(layers["conv1"]?["mask"] as? String == "conv1.weight_mask")

        let back = try ONNXNetworkBuilder.model(onnx, source: "small.onnx")
        #expect(back.network == model.network)
        #expect(back.parameters == model.parameters)
        #expect(back.parameters["conv1"]?.weights.positions?.count == 54)
        #expect(back.parameters["fc"]?.weights.storedCount == 80)
        // And the bytes are the same again.
        #expect(try ONNXWriter.serialize(back, metadata: [("preprocessing_json", "{}"), ("source.model", "small.sqz")], opset: 14) == bytes)

        let input = Self.values(192, seed: 6)
        for engine in EngineKind.allCases {
            #expect(try Self.run(back, engine, input) == Self.run(model, engine, input))
        }
    }

    @Test("at opset 13 a HardSwish is written as HardSigmoid and Mul, and computes the same")
    func hardSwishAtOpset13() throws {
        let model = try Self.smallModel()
        let onnx = try ONNXModel(serializedBytes: try ONNXWriter.serialize(model, metadata: []), source: "small.onnx")
        #expect(onnx.opsetVersion == 13)
        #expect(!onnx.nodes.contains { $0.opType == "HardSwish" })
        let gate = try #require(onnx.nodes.first { $0.name == "hardswish/gate" })
        #expect(gate.opType == "HardSigmoid")
        #expect(onnx.nodes.first { $0.name == "hardswish" }?.opType == "Mul")
        let back = try ONNXNetworkBuilder.model(onnx, source: "small.onnx")
        #expect(back.parameters == model.parameters)
        let input = Self.values(192, seed: 6)
        let expected = try Self.run(model, .dense, input)
        let worst = zip(try Self.run(back, .dense, input), expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6)
    }

    @Test("in-place layers get values of their own, Dropout becomes Identity, a Gemm over 4-D input gets a Flatten")
    func caffeStyleNetwork() throws {
        let layers = [
            Layer(name: "conv", kind: Convolution(outputChannels: 2, kernel: Spatial(1)), bottoms: ["data"], tops: ["conv"]),
            Layer(name: "relu", kind: ReLU(), bottoms: ["conv"], tops: ["conv"]),
            Layer(name: "drop", kind: Dropout(), bottoms: ["conv"], tops: ["conv"]),
            Layer(name: "sum3", kind: Eltwise(.sum), bottoms: ["conv", "conv", "conv"], tops: ["sum"]),
            Layer(name: "fc", kind: InnerProduct(outputCount: 3), bottoms: ["sum"], tops: ["fc"]),
        ]
        let network = Network(name: "caffe", inputs: [NetworkInput(name: "data", shape: [1, 2, 3, 3])], layers: layers)
        let model = Model(network: network, parameters: [
            "conv": LayerParameters(weights: WeightTensor(shape: [2, 2, 1, 1], values: [1, -2, 0.5, 3]), bias: [0.1, -0.2]),
            "fc": LayerParameters(weights: WeightTensor(shape: [3, 18], values: Self.values(54, seed: 7)), bias: [0, 1, 2]),
        ])
        let bytes = try ONNXWriter.serialize(model, metadata: [])
        let onnx = try ONNXModel(serializedBytes: bytes, source: "caffe.onnx")
        #expect(onnx.nodes.map(\.opType) == ["Conv", "Relu", "Identity", "Add", "Add", "Flatten", "Gemm"])
        #expect(onnx.outputs.map(\.name) == ["fc"])
        #expect(onnx.metadataValue(forKey: ONNXWriter.compressionMetadataKey) == nil)
        let back = try ONNXNetworkBuilder.model(onnx, source: "caffe.onnx")
        let input = Self.values(18, seed: 8)
        #expect(try Self.run(back, .dense, input) == Self.run(model, .dense, input))
        // Each value of an in-place blob has a name of its own; the last keeps the blob's (the Identity's, aliased at import).
        #expect(back.network.layer(named: "conv")?.tops == ["conv__conv"])
        #expect(back.network.layer(named: "relu")?.tops == ["conv__relu"])
        #expect(back.network.layer(named: "drop") == nil)
    }

    @Test("an operator with no ONNX form is refused, naming the layer")
    func unsupportedOperator() throws {
        let network = Network(name: "lrn", inputs: [NetworkInput(name: "x", shape: [1, 2, 4, 4])], layers: [
            Layer(name: "norm", kind: LRN(localSize: 3, region: .withinChannel), bottoms: ["x"], tops: ["y"]),
        ])
        do {
            _ = try ONNXWriter.serialize(Model(network: network, parameters: [:]), metadata: [])
            Issue.record("LRN within a channel was written")
        } catch {
            #expect(error.description.contains("'norm' (LRN)"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
        let small = try Self.smallModel()
        do {
            _ = try ONNXWriter.serialize(small, metadata: [], opset: 9)
            Issue.record("opset 9 was written")
        } catch {
            #expect(error.description.contains("opset 9"), "\(error)")
        }
    }

    // MARK: Fine-tuned elsewhere

    static func bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// `file` with the weight tensor `weights` (found by its bytes) changed at `changes`.
    static func patched(_ file: [UInt8], weights: [Float], _ changes: [Int: Float]) throws -> [UInt8] {
        let needle = bytes(weights)
        let start = try #require((0...(file.count - needle.count)).first { s in
            file[s] == needle[0] && file[s..<(s + needle.count)].elementsEqual(needle)
        }, "the weights are not in the file")
        var out = file
        for (index, value) in changes {
            out.replaceSubrange((start + 4 * index)..<(start + 4 * index + 4), with: bytes([value]))
        }
        return out
    }

    @Test("a non-zero weight where the mask prunes is refused, naming the layer")
    func nonZeroPrunedWeight() throws {
        let model = try Self.smallModel()
        let file = try ONNXWriter.serialize(model, metadata: [])
        let dense = try #require(model.parameters["conv1"]).weights.denseValues()
        let pruned = try Self.patched(file, weights: dense, [5: 0.125])
        do {
            _ = try Self.reimport(pruned)
            Issue.record("a weight at a pruned position was accepted")
        } catch {
            #expect(error.description.contains("'conv1'") && error.description.contains("flat index 5"), "\(error)")
        }
        // The shared and pruned fully connected layer is checked the same way (positions 0, 3, ... are pruned).
        let fc = try #require(model.parameters["fc"]).weights.denseValues()
        let prunedFC = try Self.patched(file, weights: fc, [3: -1])
        do {
            _ = try Self.reimport(prunedFC)
            Issue.record("a weight at a pruned position was accepted")
        } catch {
            #expect(error.description.contains("'fc'"), "\(error)")
        }
        // A kept weight may change freely.
        let back = try Self.reimport(try Self.patched(file, weights: dense, [4: 0.125]))
        guard case .sparse(let positions, let values)? = back.parameters["conv1"]?.weights.storage else {
            Issue.record("conv1 is not sparse")
            return
        }
        #expect(positions == model.parameters["conv1"]?.weights.positions)
        #expect(values[2] == 0.125)
    }

    @Test("codebooks after fine-tuning: kept when weights are entries, re-fit to the means otherwise")
    func codebookRefit() throws {
        let model = try Self.smallModel()
        let file = try ONNXWriter.serialize(model, metadata: [])
        let conv2 = try #require(model.parameters["conv2"]).weights
        let dense = conv2.denseValues()
        let original: [Float] = [-0.5, -0.1, 0.2, 0.6]

        // Centroid 1 moved consistently (codes fixed, centroids updated): the new value, exactly.
        var moved: [Int: Float] = [:]
        for i in 0..<72 where i % 4 == 1 { moved[i] = -0.15 }
        var back = try Self.reimport(try Self.patched(file, weights: dense, moved))
        guard case .shared(let book1, let codes1, nil)? = back.parameters["conv2"]?.weights.storage else {
            Issue.record("conv2 is not shared")
            return
        }
        #expect(book1 == [-0.5, -0.15, 0.2, 0.6])
        #expect(codes1 == (0..<72).map { UInt16($0 % 4) })

        // A weight set to another entry's value: it moves to that entry.
        back = try Self.reimport(try Self.patched(file, weights: dense, [0: 0.6]))
        guard case .shared(let book2, let codes2, nil)? = back.parameters["conv2"]?.weights.storage else {
            Issue.record("conv2 is not shared")
            return
        }
        #expect(book2 == original)
        #expect(codes2[0] == 3 && codes2[1...] == (1..<72).map { UInt16($0 % 4) }[...])

        // Free fine-tuning: each entry the mean of its weights.
        back = try Self.reimport(try Self.patched(file, weights: dense, [0: -0.4, 4: -0.3]))
        guard case .shared(let book3, let codes3, nil)? = back.parameters["conv2"]?.weights.storage else {
            Issue.record("conv2 is not shared")
            return
        }
        let members = Double((0..<72).filter { $0 % 4 == 0 }.count)
        let expected = Float((Double(Float(-0.4)) + Double(Float(-0.3)) + (members - 2) * Double(Float(-0.5))) / members)
        #expect(book3 == [expected, -0.1, 0.2, 0.6])
        #expect(codes3 == (0..<72).map { UInt16($0 % 4) })
    }

    // MARK: The shared models

    /// The same logits. Bit for bit when OpenBLAS runs on one thread
    /// (`OPENBLAS_NUM_THREADS=1`); with more, its sums follow the threads it
    /// finds free (tests run in parallel, the CLI in a process of its own), so
    /// a difference of a few units in the last place of the largest logit is allowed.
    static func expectSame(_ a: [Float], _ b: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let scale = b.map(abs).max() ?? 1
        let worst = a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
        #expect(worst <= 1e-5 * scale, "\(what): off by \(worst), largest magnitude \(scale)", sourceLocation: sourceLocation)
    }

    struct SharedCase: Sendable, CustomTestStringConvertible {
        let name: String
        let weights: String
        let prototxt: String?
        let reference: String
        var testDescription: String { name }
    }

    static let sharedCases = [
        SharedCase(name: "Deep-Compression SqueezeNet", weights: "models/squeezenet-deep-compression/compressed_SqueezeNet.net",
                   prototxt: "models/squeezenet-deep-compression/SqueezeNet_deploy.prototxt", reference: "reference"),
        SharedCase(name: "squeezenet-v1.1", weights: "models/squeezenet-v1.1/squeezenet-v1.1.onnx", prototxt: nil,
                   reference: "models/squeezenet-v1.1/reference"),
        SharedCase(name: "mobilenet-v1-0.5-160", weights: "models/mobilenet-v1-0.5-160/mobilenet-v1-0.5-160.onnx", prototxt: nil,
                   reference: "models/mobilenet-v1-0.5-160/reference"),
        SharedCase(name: "mobilenet-v2-1.0-224", weights: "models/mobilenet-v2-1.0-224/mobilenet-v2-1.0-224.onnx", prototxt: nil,
                   reference: "models/mobilenet-v2-1.0-224/reference"),
    ]

    @Test("the shared models round-trip with the same weights and the same logits on the reference inputs",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.url("models/squeezenet-v1.1").path), "../shared is not there"),
          arguments: sharedCases)
    func sharedModelRoundTrip(_ c: SharedCase) throws {
        let loaded = try ModelLoader.load(weights: SharedData.url(c.weights), prototxt: c.prototxt.map(SharedData.url))
        let bytes = try ONNXWriter.serialize(loaded.model, metadata: [("source.model", c.name)])
        let back = try Self.reimport(bytes)
        #expect(back.parameters == loaded.model.parameters)
        if c.prototxt == nil {
            #expect(back.network == loaded.model.network)
        } else {
            // Pruned and shared: every layer's container section is the same bytes.
            #expect(back.parameters.values.allSatisfy { $0.weights.isShared })
            let original = try SqueezeContainer.encode(loaded.model, metadata: loaded.metadata).bytes.count
            let again = try SqueezeContainer.encode(back, metadata: loaded.metadata).bytes.count
            // Only the graph section differs: in-place values renamed, no Dropout layer.
            #expect(abs(again - original) < 512, "\(original) and \(again) bytes")
        }
        for engine in EngineKind.allCases {
            let before = try loaded.model.engineFactory(engine).makeEngine()
            let after = try back.engineFactory(engine).makeEngine()
            for image in SharedData.referenceImages {
                let input = try SharedData.readFloats(SharedData.url("\(c.reference)/\(image).input.f32"))
                Self.expectSame(try after.run(input), try before.run(input), "\(c.name) \(image) \(engine.rawValue)")
            }
        }
    }

    // MARK: The commands

    static func npy(_ shape: [Int], _ values: [Float]) throws -> Data {
        Data(try HostTensor(shape: shape, values: values).npyBytes())
    }

    @Test("run writes the engine's outputs as .npy (and .pb), for batch 1 and a batch of 2",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.url("models/squeezenet-v1.1").path), "../shared is not there"))
    func runCommand() throws {
        let dir = try SharedData.temporaryDirectory()
        let modelPath = SharedData.url("models/squeezenet-v1.1/squeezenet-v1.1.onnx").path
        let reference = SharedData.url("models/squeezenet-v1.1/reference")
        let tench = try SharedData.readFloats(reference.appendingPathComponent("n01440764_tench.input.f32"))
        let shark = try SharedData.readFloats(reference.appendingPathComponent("n01484850_great_white_shark.input.f32"))
        let input = dir.appendingPathComponent("in.npy")
        try Self.npy([1, 3, 227, 227], tench).write(to: input)
        let model = try ModelLoader.load(weights: URL(fileURLWithPath: modelPath)).model

        for engine in EngineKind.allCases {
            let out = dir.appendingPathComponent("out-\(engine.rawValue)")
            let result = try CommandRunner.run(["run", modelPath, "--input", "data=\(input.path)", "-o", out.path,
                                                "--engine", engine.rawValue])
            #expect(result.status == 0, "\(result.stderr)")
            let logits = try HostTensor(npyContentsOf: out.appendingPathComponent("logits.npy"))
            #expect(logits.shape == [1, 1000])
            Self.expectSame(logits.values, try Self.run(model, engine, tench), engine.rawValue)
        }

        // A batch of two from a TensorProto file, the name left out; both formats.
        let pair = dir.appendingPathComponent("pair.pb")
        try Data(try HostTensor(shape: [2, 3, 227, 227], values: tench + shark).tensorProtoBytes(name: "data")).write(to: pair)
        let out = dir.appendingPathComponent("pair")
        let result = try CommandRunner.run(["run", modelPath, "--input", pair.path, "-o", out.path, "--format", "both"])
        #expect(result.status == 0, "\(result.stderr)")
        let logits = try HostTensor(npyContentsOf: out.appendingPathComponent("logits.npy"))
        #expect(logits.shape == [2, 1000])
        Self.expectSame(logits.values, try Self.run(model, .dense, tench + shark, batch: 2), "batch 2")
        Self.expectSame(logits.values, try Self.run(model, .dense, tench) + Self.run(model, .dense, shark), "batch 2 against 1")
        let proto = try HostTensor.readTensorProto(contentsOf: out.appendingPathComponent("logits.pb"))
        #expect(proto.name == "logits" && proto.tensor == logits)
    }

    @Test("run writes every output of a network with several, names made file names")
    func runSeveralOutputs() throws {
        let network = Network(name: "two", inputs: [NetworkInput(name: "x", shape: [1, 4, 2, 2])], layers: [
            Layer(name: "relu", kind: ReLU(), bottoms: ["x"], tops: ["r"]),
            Layer(name: "split", kind: Split(axis: 1, sizes: [1, 3]), bottoms: ["r"], tops: ["branch/a", "b"]),
        ])
        let dir = try SharedData.temporaryDirectory()
        let file = dir.appendingPathComponent("two.onnx")
        try Data(try ONNXWriter.serialize(Model(network: network, parameters: [:]), metadata: [])).write(to: file)
        let x = Self.values(16, seed: 9)
        let input = dir.appendingPathComponent("x.npy")
        try Self.npy([1, 4, 2, 2], x).write(to: input)
        let out = dir.appendingPathComponent("out")
        let result = try CommandRunner.run(["run", file.path, "--input", input.path, "-o", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let relu = x.map { max($0, 0) }
        let a = try HostTensor(npyContentsOf: out.appendingPathComponent("branch_a.npy"))
        let b = try HostTensor(npyContentsOf: out.appendingPathComponent("b.npy"))
        #expect(a == HostTensor(shape: [1, 1, 2, 2], values: Array(relu[0..<4])))
        #expect(b == HostTensor(shape: [1, 3, 2, 2], values: Array(relu[4...])))
    }

    /// Runs the tool, expecting a one-line refusal that contains `expected`.
    func expectRefusal(_ arguments: [String], containing expected: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let output = try CommandRunner.run(arguments)
        #expect(output.status == 1, "exit status \(output.status): \(output.stderr)", sourceLocation: sourceLocation)
        #expect(output.errorLines.count == 1, "stderr: \(output.stderr)", sourceLocation: sourceLocation)
        #expect(output.errorLines.first?.contains(expected) == true, "stderr: \(output.stderr)", sourceLocation: sourceLocation)
    }

    @Test("run and export refuse bad input in one line")
    func badInputs() throws {
        let dir = try SharedData.temporaryDirectory()
        let model = dir.appendingPathComponent("small.onnx")
        try Data(try ONNXWriter.serialize(try Self.smallModel(), metadata: [])).write(to: model)
        let good = dir.appendingPathComponent("good.npy")
        try Self.npy([2, 3, 8, 8], Self.values(384, seed: 10)).write(to: good)
        let wrong = dir.appendingPathComponent("wrong.npy")
        try Self.npy([1, 3, 9, 8], Self.values(216, seed: 11)).write(to: wrong)
        let garbage = dir.appendingPathComponent("garbage.npy")
        try Data("not a tensor".utf8).write(to: garbage)
        let text = dir.appendingPathComponent("input.txt")
        try Data("1 2 3".utf8).write(to: text)
        let out = dir.appendingPathComponent("out").path

        let ok = try CommandRunner.run(["run", model.path, "--input", good.path, "-o", out])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try HostTensor(npyContentsOf: URL(fileURLWithPath: out).appendingPathComponent("prob.npy")).shape == [2, 6])

        try expectRefusal(["run", model.path, "--input", "x=\(wrong.path)", "-o", out],
                          containing: "shape [1, 3, 9, 8] does not fit input 'x' of shape [N, 3, 8, 8]")
        try expectRefusal(["run", model.path, "--input", "data=\(good.path)", "-o", out],
                          containing: "unknown input 'data': the network's input is 'x'")
        try expectRefusal(["run", model.path, "--input", dir.appendingPathComponent("missing.npy").path, "-o", out],
                          containing: "missing.npy: no such file")
        try expectRefusal(["run", model.path, "--input", garbage.path, "-o", out], containing: "garbage.npy")
        try expectRefusal(["run", model.path, "--input", text.path, "-o", out], containing: "unknown tensor file type")
        try expectRefusal(["run", model.path, "--input", good.path, "--input", good.path, "-o", out], containing: "given twice")

        // A container with a layer ONNX has no operator for.
        let network = Network(name: "lrn", inputs: [NetworkInput(name: "x", shape: [1, 2, 4, 4])], layers: [
            Layer(name: "norm", kind: LRN(localSize: 3, region: .withinChannel), bottoms: ["x"], tops: ["y"]),
        ])
        let sqz = dir.appendingPathComponent("lrn.sqz")
        try Data(try SqueezeContainer.encode(Model(network: network, parameters: [:])).bytes).write(to: sqz)
        try expectRefusal(["export", sqz.path, "-o", dir.appendingPathComponent("lrn.onnx").path], containing: "'norm' (LRN)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("lrn.onnx").path))
    }

    static func numbers(_ value: Any?) -> [Double]? {
        (value as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue }
    }

    @Test("export writes preprocessing_json and the provenance, and import reads the file back",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.url("models/mobilenet-v1-0.5-160").path), "../shared is not there"))
    func exportCommand() throws {
        let dir = try SharedData.temporaryDirectory()
        let source = SharedData.url("models/mobilenet-v1-0.5-160/mobilenet-v1-0.5-160.onnx")
        let file = dir.appendingPathComponent("m.onnx")
        let result = try CommandRunner.run(["export", source.path, "-o", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let onnx = try ONNXModel.read(contentsOf: file)
        let json = try #require(onnx.metadataValue(forKey: "preprocessing_json"))
        let p = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(p["color"] as? String == "RGB")
        #expect(p["resize"] as? String == "shorter_side")
        #expect(p["resize_to"] as? Int == 183)
        #expect(p["crop"] as? Int == 160)
        #expect(Self.numbers(p["mean"]) == [128, 128, 128])
        #expect(Self.numbers(p["scale"]) == [0.0078125, 0.0078125, 0.0078125])
        #expect(onnx.metadataValue(forKey: "source.format") == "onnx")
        #expect(onnx.metadataValue(forKey: "license")?.hasPrefix("Apache-2.0") == true)
        // Read back, the preprocessing is the original's.
        let original = try ModelLoader.load(weights: source)
        let back = try ModelLoader.load(weights: file)
        #expect(back.metadata.preprocessing == original.metadata.preprocessing)
        #expect(back.model.parameters == original.model.parameters)

        // The Caffe convention for a model without preprocessing metadata, in BGR order.
        let caffe = dir.appendingPathComponent("caffe.onnx")
        let sqz = dir.appendingPathComponent("small.sqz")
        try Data(try SqueezeContainer.encode(try Self.smallModel()).bytes).write(to: sqz)
        let exported = try CommandRunner.run(["export", sqz.path, "-o", caffe.path])
        #expect(exported.status == 0, "\(exported.stderr)")
        let small = try ONNXModel.read(contentsOf: caffe)
        let smallJSON = try #require(small.metadataValue(forKey: "preprocessing_json"))
        let q = try #require(try JSONSerialization.jsonObject(with: Data(smallJSON.utf8)) as? [String: Any])
        #expect(q["color"] as? String == "BGR" && Self.numbers(q["mean"]) == [104, 117, 123] && q["crop"] as? Int == 227)
        #expect(small.metadataValue(forKey: ONNXWriter.compressionMetadataKey) != nil)
    }
}
