import Foundation
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

/// What python's onnx package says about each ONNX model in ../shared.
struct SharedONNXModel: Sendable, CustomTestStringConvertible {
    var path: String
    var graphName: String
    var producer: String
    var inputSize: Int
    var opTypes: [String: Int]
    var initializerCount: Int
    var initializerElements: Int
    var initializerSum: Double
    var firstInitializer: (name: String, dimensions: [Int], sum: Double)
    var hasPreprocessing: Bool
    var namedNodes: Bool

    var testDescription: String { (path as NSString).lastPathComponent }
    var url: URL { SharedData.url(path) }

    static let all: [SharedONNXModel] = [
        SharedONNXModel(
            path: "models/squeezenet-v1.1/squeezenet-v1.1.onnx", graphName: "squeezenet-v1.1", producer: "convert_ncnn.py",
            inputSize: 227, opTypes: ["Conv": 26, "Relu": 26, "MaxPool": 3, "Concat": 8, "GlobalAveragePool": 1, "Flatten": 1],
            initializerCount: 52, initializerElements: 1_235_496, initializerSum: 1223.8776,
            firstInitializer: ("conv1_W", [64, 3, 3, 3], -2.997598), hasPreprocessing: true, namedNodes: true),
        SharedONNXModel(
            path: "models/squeezenet-deep-compression/squeezenet_dc.onnx", graphName: "squeezenet_v1_0_deepcompression",
            producer: "", inputSize: 227,
            opTypes: ["Conv": 26, "Relu": 26, "MaxPool": 3, "Concat": 8, "Identity": 1, "GlobalAveragePool": 1, "Flatten": 1],
            initializerCount: 52, initializerElements: 1_248_424, initializerSum: -2421.5073,
            firstInitializer: ("conv1_W", [96, 3, 7, 7], -0.565541), hasPreprocessing: false, namedNodes: false),
        SharedONNXModel(
            path: "models/mobilenet-v1-0.5-160/mobilenet-v1-0.5-160.onnx", graphName: "mobilenet-v1-0.5-160",
            producer: "convert_tflite.py", inputSize: 160,
            opTypes: ["Conv": 27, "Clip": 27, "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1],
            // 1,326,120 weights and the two Clip bounds.
            initializerCount: 58, initializerElements: 1_326_122, initializerSum: 438.0595,
            firstInitializer: ("conv_1_W", [16, 3, 3, 3], -2.555269), hasPreprocessing: true, namedNodes: true),
        SharedONNXModel(
            path: "models/mobilenet-v2-1.0-224/mobilenet-v2-1.0-224.onnx", graphName: "mobilenet-v2-1.0-224",
            producer: "convert_tflite.py", inputSize: 224,
            opTypes: ["Conv": 52, "Clip": 35, "Add": 10, "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1],
            initializerCount: 108, initializerElements: 3_487_818, initializerSum: 3706.9795,
            firstInitializer: ("conv_1_W", [32, 3, 3, 3], -16.508898), hasPreprocessing: true, namedNodes: true),
    ]

    /// Whether ../shared has the models (tests that need them are skipped otherwise).
    static let available = FileManager.default.fileExists(atPath: all[0].url.path)
}

@Suite("ONNX models in ../shared", .enabled(if: SharedONNXModel.available, "../shared/models is not there"))
struct SharedONNXModelTests {
    @Test("parse with the graph python's onnx reports", arguments: SharedONNXModel.all)
    func parses(_ expected: SharedONNXModel) throws {
        let model = try ONNXModel.read(contentsOf: expected.url)
        #expect(model.irVersion == 8)
        #expect(model.opsetVersion == 13)
        #expect(model.otherOpsets.isEmpty)
        #expect(model.graphName == expected.graphName)
        #expect(model.producerName == expected.producer)
        #expect(model.source == expected.url.path)

        let s = expected.inputSize
        #expect(model.inputs == [ONNXValueInfo(name: "data", elementType: .float, dimensions: [.value(1), .value(3), .value(s), .value(s)])])
        #expect(model.outputs == [ONNXValueInfo(name: "logits", elementType: .float, dimensions: [.value(1), .value(1000)])])

        #expect(model.nodes.count == expected.opTypes.values.reduce(0, +))
        #expect(Dictionary(model.nodes.map { ($0.opType, 1) }, uniquingKeysWith: +) == expected.opTypes)
        #expect(model.nodes.allSatisfy { $0.domain.isEmpty && !$0.name.isEmpty && $0.source == expected.url.path })
        #expect(Set(model.nodes.map(\.name)).count == model.nodes.count)

        #expect(model.initializers.count == expected.initializerCount)
        #expect(model.initializerNames.count == expected.initializerCount)
        #expect(model.initializers.values.reduce(0) { $0 + $1.values.count } == expected.initializerElements)
        #expect(model.initializers.values.allSatisfy { $0.dataType == .float })
        let sum = model.initializers.values.reduce(0.0) { $0 + $1.values.floats.reduce(0.0) { $0 + Double($1) } }
        #expect(abs(sum - expected.initializerSum) < 1e-2)
        let first = try #require(model.initializers[model.initializerNames[0]])
        #expect(first.name == expected.firstInitializer.name)
        #expect(first.dimensions == expected.firstInitializer.dimensions)
        #expect(abs(first.values.floats.reduce(0.0) { $0 + Double($1) } - expected.firstInitializer.sum) < 1e-4)
        for (name, tensor) in model.initializers {
            #expect(tensor.values.count == tensor.dimensions.reduce(1, *), "\(name)")
        }

        // Every node reads what the graph's input, an initializer or an earlier node provides.
        var known = Set(model.inputs.map(\.name)).union(model.initializerNames)
        for node in model.nodes {
            for input in node.inputs where !input.isEmpty {
                #expect(known.contains(input), "node \(node.name) reads '\(input)' before it is made")
            }
            known.formUnion(node.outputs)
        }
        #expect(known.isSuperset(of: model.outputs.map(\.name)))

        let json = model.metadataValue(forKey: "preprocessing_json")
        #expect((json != nil) == expected.hasPreprocessing)
        if let json {
            #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil)
        }
    }

    @Test("unnamed nodes get their operator and position as a name")
    func generatedNames() throws {
        let model = try ONNXModel.read(contentsOf: SharedONNXModel.all[1].url)
        #expect(model.nodes.prefix(3).map(\.name) == ["Conv_0", "Relu_1", "MaxPool_2"])
        let conv = model.nodes[0]
        #expect(conv.inputs == ["data", "conv1_W", "conv1_B"])
        #expect(conv.outputs == ["conv1_out"])
        #expect(try conv.ints("kernel_shape") == [7, 7])
        #expect(try conv.ints("strides") == [2, 2])
        #expect(try conv.int("group") == nil)
        #expect(try model.nodes[2].int("ceil_mode") == 1)
    }

    @Test("the attribute accessors type-check, with a one-line error naming the file and node")
    func attributes() throws {
        let url = SharedONNXModel.all[2].url
        let model = try ONNXModel.read(contentsOf: url)
        let conv = try #require(model.nodes.first)
        #expect(conv.name == "conv_1")
        #expect(try conv.ints("pads") == [0, 0, 1, 1])
        #expect(try conv.int("group") == 1)
        let gemm = try #require(model.nodes.last)
        #expect(gemm.opType == "Gemm")
        #expect(try gemm.int("transB") == 1)
        do {
            _ = try conv.float("group")
            Issue.record("an INT attribute read as FLOAT")
        } catch {
            #expect(error.description == "\(url.path): node 'conv_1' ('Conv'): attribute 'group' is INT, not FLOAT")
        }
        #expect(throws: ReaderError.self) { try conv.int("pads") }
        #expect(model.initializers["clip_max"]?.values == .float([6]))
        #expect(model.initializers["clip_max"]?.dimensions == [])
    }

    @Test("a memory limit below what decoding needs is refused before decoding")
    func memoryLimit() throws {
        let url = SharedONNXModel.all[0].url
        do {
            _ = try ONNXModel.read(contentsOf: url, memoryLimit: MemoryLimit(bytes: 4 << 20))
            Issue.record("decoded under 4 MiB")
        } catch {
            guard case .resource(let file, .memoryLimit) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == url.path)
            #expect(error.description.hasPrefix("\(url.path): decoding the ONNX model needs"))
            #expect(!error.description.contains("\n"))
        }
        // About the file (decoded message) and again (converted weights), plus per-message overhead.
        _ = try ONNXModel.read(contentsOf: url, memoryLimit: MemoryLimit(bytes: 16 << 20))
    }

    @Test("every prefix (in steps) is an error or a model, never a crash")
    func truncatedSharedModel() throws {
        let bytes = try Data(contentsOf: SharedONNXModel.all[0].url)
        var read = 0
        for length in stride(from: 0, to: bytes.count, by: bytes.count / 97) {
            do {
                _ = try ONNXModel(serializedBytes: bytes.prefix(length), source: "cut.onnx")
                read += 1  // a cut between two metadata entries is a whole model
            } catch {
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(read <= 2)
    }
}

/// A node test of ONNX's test data (Debian: libonnx-testdata).
struct ONNXNodeTest: Sendable, CustomTestStringConvertible {
    var name: String
    var opset: Int
    var opType: String
    var inputs: [String]
    var outputs: [String]
    /// The first attribute and its value, when it has one to check.
    var attribute: (String, ONNXAttribute)?
    /// The graph's inputs: name, element type, shape.
    var graphInputs: [(String, ONNXTensor.DataType, [Int])]
    /// test_data_set_0's tensors: file, name, type, shape, sum of values.
    var data: [(file: String, name: String, type: ONNXTensor.DataType, dimensions: [Int], sum: Double)]

    var testDescription: String { name }

    static let root = URL(fileURLWithPath: "/usr/share/libonnx-testdata/data/node")
    static let available = FileManager.default.fileExists(atPath: root.path)
    var folder: URL { Self.root.appendingPathComponent(name) }

    // Figures from python's onnx 1.23 (onnx.load, numpy_helper.to_array).
    static let all: [ONNXNodeTest] = [
        ONNXNodeTest(name: "test_conv_with_strides_padding", opset: 11, opType: "Conv", inputs: ["x", "W"], outputs: ["y"],
                     attribute: ("pads", .ints([1, 1, 1, 1])), graphInputs: [("x", .float, [1, 1, 7, 5]), ("W", .float, [1, 1, 3, 3])],
                     data: [("input_0.pb", "x", .float, [1, 1, 7, 5], 595), ("input_1.pb", "W", .float, [1, 1, 3, 3], 9),
                            ("output_0.pb", "y", .float, [1, 1, 4, 3], 1190)]),
        ONNXNodeTest(name: "test_maxpool_2d_ceil", opset: 12, opType: "MaxPool", inputs: ["x"], outputs: ["y"],
                     attribute: ("ceil_mode", .int(1)), graphInputs: [("x", .float, [1, 1, 4, 4])],
                     data: [("input_0.pb", "x", .float, [1, 1, 4, 4], 136), ("output_0.pb", "y", .float, [1, 1, 2, 2], 54)]),
        ONNXNodeTest(name: "test_relu", opset: 14, opType: "Relu", inputs: ["x"], outputs: ["y"], attribute: nil,
                     graphInputs: [("x", .float, [3, 4, 5])],
                     data: [("input_0.pb", "x", .float, [3, 4, 5], 4.600037792697549),
                            ("output_0.pb", "y", .float, [3, 4, 5], 27.548124507069588)]),
        ONNXNodeTest(name: "test_gemm_all_attributes", opset: 13, opType: "Gemm", inputs: ["a", "b", "c"], outputs: ["y"],
                     attribute: ("alpha", .float(0.25)),
                     graphInputs: [("a", .float, [4, 3]), ("b", .float, [5, 4]), ("c", .float, [1, 5])],
                     data: [("input_2.pb", "c", .float, [1, 5], 2.273105265572667),
                            ("output_0.pb", "y", .float, [3, 5], 7.332305580377579)]),
        ONNXNodeTest(name: "test_constant", opset: 13, opType: "Constant", inputs: [], outputs: ["values"], attribute: nil,
                     graphInputs: [], data: [("output_0.pb", "values", .float, [5, 5], 11.879346579313278)]),
        ONNXNodeTest(name: "test_cast_FLOAT16_to_FLOAT", opset: 13, opType: "Cast", inputs: ["input"], outputs: ["output"],
                     attribute: ("to", .int(1)), graphInputs: [("input", .float16, [3, 4])],
                     data: [("input_0.pb", "input", .float16, [3, 4], 5.4830169677734375),
                            ("output_0.pb", "output", .float, [3, 4], 5.4830169677734375)]),
        ONNXNodeTest(name: "test_cast_DOUBLE_to_FLOAT", opset: 13, opType: "Cast", inputs: ["input"], outputs: ["output"],
                     attribute: ("to", .int(1)), graphInputs: [("input", .double, [3, 4])],
                     data: [("input_0.pb", "input", .double, [3, 4], 4.765678621397181),
                            ("output_0.pb", "output", .float, [3, 4], 4.76567854732275)]),
        // The test data keeps the bfloat16 input as UINT16 bits.
        ONNXNodeTest(name: "test_cast_BFLOAT16_to_FLOAT", opset: 13, opType: "Cast", inputs: ["input"], outputs: ["output"],
                     attribute: ("to", .int(1)), graphInputs: [("input", .bfloat16, [3, 4])],
                     data: [("input_0.pb", "input", .uint16, [3, 4], 292_427)]),
        ONNXNodeTest(name: "test_not_2d", opset: 1, opType: "Not", inputs: ["x"], outputs: ["not"], attribute: nil,
                     graphInputs: [("x", .bool, [3, 4])],
                     data: [("input_0.pb", "x", .bool, [3, 4], 9), ("output_0.pb", "not", .bool, [3, 4], 3)]),
        ONNXNodeTest(name: "test_reshape_reordered_all_dims", opset: 14, opType: "Reshape", inputs: ["data", "shape"],
                     outputs: ["reshaped"], attribute: nil, graphInputs: [("data", .float, [2, 3, 4]), ("shape", .int64, [3])],
                     data: [("input_1.pb", "shape", .int64, [3], 9)]),
        ONNXNodeTest(name: "test_if", opset: 11, opType: "If", inputs: ["cond"], outputs: ["res"],
                     attribute: ("then_branch", .unsupported(typeName: "GRAPH")), graphInputs: [("cond", .bool, [])],
                     data: [("input_0.pb", "cond", .bool, [], 1), ("output_0.pb", "res", .float, [5], 15)]),
        ONNXNodeTest(name: "test_loop11", opset: 11, opType: "Loop", inputs: ["trip_count", "cond", "y"],
                     outputs: ["res_y", "res_scan"], attribute: ("body", .unsupported(typeName: "GRAPH")),
                     graphInputs: [("trip_count", .int64, []), ("cond", .bool, []), ("y", .float, [1])],
                     data: [("input_0.pb", "trip_count", .int64, [], 5), ("output_1.pb", "res_scan", .float, [5, 1], 25)]),
        ONNXNodeTest(name: "test_resize_upsample_scales_nearest", opset: 13, opType: "Resize", inputs: ["X", "", "scales"],
                     outputs: ["Y"], attribute: ("mode", .string("nearest")),
                     graphInputs: [("X", .float, [1, 1, 2, 2]), ("scales", .float, [4])],
                     data: [("input_1.pb", "scales", .float, [4], 7), ("output_0.pb", "Y", .float, [1, 1, 4, 6], 60)]),
        ONNXNodeTest(name: "test_where_example", opset: 16, opType: "Where", inputs: ["condition", "x", "y"], outputs: ["z"],
                     attribute: nil, graphInputs: [("condition", .bool, [2, 2]), ("x", .float, [2, 2]), ("y", .float, [2, 2])],
                     data: [("input_0.pb", "condition", .bool, [2, 2], 3), ("output_0.pb", "z", .float, [2, 2], 16)]),
    ]
}

@Suite("ONNX node test data", .enabled(if: ONNXNodeTest.available, "libonnx-testdata is not installed"))
struct ONNXNodeTestDataTests {
    @Test("models and their test data parse as python's onnx reads them", arguments: ONNXNodeTest.all)
    func nodeTest(_ expected: ONNXNodeTest) throws {
        let model = try ONNXModel.read(contentsOf: expected.folder.appendingPathComponent("model.onnx"))
        #expect(model.opsetVersion == expected.opset)
        let node = try #require(model.nodes.first)
        #expect(model.nodes.count == 1)
        #expect(node.opType == expected.opType)
        #expect(node.name == "\(expected.opType)_0")
        #expect(node.inputs == expected.inputs)
        #expect(node.outputs == expected.outputs)
        if let (name, value) = expected.attribute { #expect(node.attributes[name] == value) }
        #expect(model.inputs.map(\.name) == expected.graphInputs.map(\.0))
        for (info, (name, type, dimensions)) in zip(model.inputs, expected.graphInputs) {
            #expect(info.elementType == type, "\(name)")
            #expect(info.dimensions == dimensions.map { .value($0) }, "\(name)")
        }
        for file in expected.data {
            let url = expected.folder.appendingPathComponent("test_data_set_0").appendingPathComponent(file.file)
            let tensor = try ONNXModel.readTensor(contentsOf: url)
            #expect(tensor.name == file.name)
            #expect(tensor.dataType == file.type)
            #expect(tensor.dimensions == file.dimensions)
            #expect(tensor.values.count == file.dimensions.reduce(1, *))
            let sum = tensor.values.floats.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - file.sum) <= 1e-5 * max(1, abs(file.sum)), "\(file.file): sum \(sum)")
            let (name, host) = try HostTensor.readTensorProto(contentsOf: url)
            #expect(name == file.name)
            #expect(host.shape == file.dimensions)
            #expect(host.values == tensor.values.floats)
        }
    }

    @Test("FLOAT16 test data converts exactly, as numpy does")
    func float16Values() throws {
        let url = ONNXNodeTest.root.appendingPathComponent("test_cast_FLOAT16_to_FLOAT/test_data_set_0/input_0.pb")
        let tensor = try ONNXModel.readTensor(contentsOf: url)
        #expect(Array(tensor.values.floats.prefix(4)) == [0.1182861328125, 0.64013671875, 0.143310546875, 0.94482421875])
    }

    @Test("a STRING tensor is refused in one line naming it")
    func stringTensor() throws {
        let url = ONNXNodeTest.root.appendingPathComponent("test_castlike_FLOAT_to_STRING/test_data_set_0/input_1.pb")
        #expect(throws: ReaderError.invalidWeights(file: url.path, reason: "tensor 'like' is a STRING tensor; only numeric tensors are read")) {
            try ONNXModel.readTensor(contentsOf: url)
        }
    }

    @Test("every node test model and data file is read or refused in one line, never a crash")
    func everyNodeTest() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: ONNXNodeTest.root.path).sorted()
        var models = 0, tensors = 0
        for folder in folders {
            let base = ONNXNodeTest.root.appendingPathComponent(folder)
            do {
                _ = try ONNXModel.read(contentsOf: base.appendingPathComponent("model.onnx"))
                models += 1
            } catch {
                #expect(!error.description.contains("\n"), "\(folder)")
                #expect(error.description.hasPrefix(base.path), "\(folder)")
            }
            let data = base.appendingPathComponent("test_data_set_0")
            for file in (try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? [] {
                do {
                    _ = try ONNXModel.readTensor(contentsOf: data.appendingPathComponent(file))
                    tensors += 1
                } catch {
                    #expect(!error.description.contains("\n"), "\(folder)/\(file)")
                }
            }
        }
        // Nearly all: the rest use STRING, sequence or optional values, or FLOAT8 types.
        #expect(models > folders.count * 9 / 10)
        #expect(tensors > 1000)
    }
}

@Suite("ONNX models built by hand")
struct ONNXHandBuiltTests {
    static func decode(_ bytes: [UInt8], limit: MemoryLimit = .unlimited) throws(ReaderError) -> ONNXModel {
        try ONNXModel(serializedBytes: bytes, source: "m.onnx", memoryLimit: limit)
    }

    /// The error decoding `bytes` throws, checked to be one line naming the file.
    static func error(_ bytes: [UInt8], limit: MemoryLimit = .unlimited) -> ReaderError? {
        do {
            _ = try decode(bytes, limit: limit)
            return nil
        } catch {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("m.onnx: "))
            return error
        }
    }

    /// A model whose graph has `nodes`, `initializers` and the input `x`.
    static func model(nodes: [[UInt8]] = [], initializers: [[UInt8]] = []) -> [UInt8] {
        ONNXBuilder.model(graph: ONNXBuilder.graph(nodes: nodes, initializers: initializers,
                                                   inputs: [ONNXBuilder.valueInfo("x", dims: [1])],
                                                   outputs: [ONNXBuilder.valueInfo("y", dims: [1])]))
    }

    /// A model whose one initializer, `t`, is `tensor`.
    static func model(tensor: [UInt8]) -> [UInt8] { model(initializers: [tensor]) }

    @Test("a small model: nodes, attributes, initializers, inputs, metadata")
    func small() throws {
        let model = try Self.decode(ONNXBuilder.small)
        #expect(model.producerName == "tests")
        #expect(model.producerVersion == "1.0")
        #expect(model.graphName == "small")
        #expect(model.metadata == [.init(key: "b_key", value: "2"), .init(key: "a_key", value: "1")])
        #expect(model.metadataValue(forKey: "a_key") == "1")
        // `w` is an initializer listed as an input too (older exporters do so).
        #expect(model.inputs == [ONNXValueInfo(name: "data", elementType: .float, dimensions: [.symbol("N"), .value(1), .value(5), .value(5)])])
        #expect(model.outputs == [ONNXValueInfo(name: "out", elementType: .float, dimensions: nil)])
        #expect(model.initializerNames == ["w", "b"])
        #expect(model.initializers["w"]?.dimensions == [2, 1, 3, 3])
        #expect(model.initializers["w"]?.values == .float((0..<18).map { Float($0) / 4 }))
        #expect(model.initializers["b"]?.values == .float([0.5, -0.5]))
        #expect(model.nodes.map(\.name) == ["conv", "Relu_1", "Constant_2", "If_3"])
        let conv = model.nodes[0]
        #expect(try conv.ints("kernel_shape") == [3, 3])
        #expect(try conv.int("group") == 1)
        #expect(conv.attributes.count == 3)
        let constant = try #require(try model.nodes[2].tensor("value"))
        #expect(constant.values == .float([0.5, -1]))
        #expect(constant.dimensions == [2])
        let node = model.nodes[3]
        #expect(node.inputs == ["r", ""])
        #expect(node.attributes["then_branch"] == .unsupported(typeName: "GRAPH"))
        #expect(try node.float("alpha") == 0.25)
        #expect(try node.string("mode") == "nearest")
        #expect(throws: ReaderError.invalidNetwork(file: "m.onnx", reason: "node 'If_3' ('If'): attribute 'then_branch' is GRAPH, not INT")) {
            try node.int("then_branch")
        }
    }

    @Test("operator sets: other domains by name, none needed when no node uses the default one, 1 before IR version 3")
    func operatorSets() throws {
        let training = ONNXBuilder.graph(nodes: [ONNXBuilder.node(opType: "Adagrad", inputs: ["x"], outputs: ["y"], domain: "ai.onnx.preview.training")],
                                         inputs: [ONNXBuilder.valueInfo("x")], outputs: [ONNXBuilder.valueInfo("y")])
        let model = try Self.decode(ONNXBuilder.model(opsets: [("ai.onnx.preview.training", 1), ("ai.onnx.ml", 3)], graph: training))
        #expect(model.opsetVersion == 0)
        #expect(model.otherOpsets == ["ai.onnx.preview.training": 1, "ai.onnx.ml": 3])
        #expect(model.nodes[0].domain == "ai.onnx.preview.training")
        let old = ONNXBuilder.graph(nodes: [ONNXBuilder.node(opType: "Relu", inputs: ["x"], outputs: ["y"])], inputs: [], outputs: [])
        #expect(try Self.decode(ONNXBuilder.model(irVersion: 2, opsets: [], graph: old)).opsetVersion == 1)
        #expect(try Self.decode(ONNXBuilder.model(opsets: [("ai.onnx", 9), ("", 9)], graph: old)).opsetVersion == 9)
    }

    @Test("an unnamed node's made-up name does not take another node's name")
    func uniqueNames() throws {
        let model = try Self.decode(Self.model(nodes: [
            ONNXBuilder.node(opType: "Relu", inputs: ["x"], outputs: ["a"]),
            ONNXBuilder.node(name: "Relu_0", opType: "Relu", inputs: ["a"], outputs: ["y"]),
        ]))
        #expect(model.nodes.map(\.name) == ["Relu_0_", "Relu_0"])
    }

    @Test("element types convert: FLOAT16, BFLOAT16, DOUBLE, integers, BOOL, from raw_data and typed fields")
    func conversions() throws {
        func values(_ tensor: [UInt8]) throws -> ONNXTensor.Values {
            try #require(try Self.decode(Self.model(tensor: tensor)).initializers["t"]).values
        }
        let half: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x8000, 0x7C00, 0x7BFF, 0x3555]
        let expected: [Float] = [1, -2, 0x1p-24, -0.0, .infinity, 65504, 0.333251953125]
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [7], dataType: 10, raw: half.flatMap { Wire.littleEndian($0) })) == .float(expected))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [7], dataType: 10, int32s: half.map { Int32($0) })) == .float(expected))
        if case .float(let nan) = try values(ONNXBuilder.tensor(name: "t", dims: [1], dataType: 10, int32s: [0x7E00])) {
            #expect(nan.count == 1 && nan[0].isNaN)
        }
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [2], dataType: 16, raw: Wire.littleEndian(UInt16(0x3F80)) + Wire.littleEndian(UInt16(0xC040))))
                == .float([1, -3]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [2], dataType: 11, doubles: [0.1, -1e300])) == .float([0.1, -.infinity]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [1], dataType: 11, raw: Wire.littleEndian((2.5).bitPattern))) == .float([2.5]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [3], dataType: 3, raw: [0xFF, 0x80, 0x7F])) == .int64([-1, -128, 127]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [3], dataType: 3, int32s: [-1, 255, 7])) == .int64([-1, -1, 7]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [2], dataType: 2, raw: [0xFF, 0x01])) == .int64([255, 1]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [3], dataType: 9, raw: [0, 1, 2])) == .int64([0, 1, 1]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [1], dataType: 5, raw: Wire.littleEndian(Int16(-300)))) == .int64([-300]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [1], dataType: 4, raw: Wire.littleEndian(UInt16(65535)))) == .int64([65535]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [2], dataType: 6, int32s: [Int32.min, Int32.max])) == .int64([Int64(Int32.min), Int64(Int32.max)]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [1], dataType: 12, uint64s: [UInt64(UInt32.max)])) == .int64([Int64(UInt32.max)]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [2], dataType: 13, uint64s: [0, UInt64(Int64.max)])) == .int64([0, .max]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [2], dataType: 7, int64s: [.min, 5])) == .int64([.min, 5]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [1, 2], dataType: 7, raw: Wire.littleEndian(Int64(-7)) + Wire.littleEndian(Int64(9))))
                == .int64([-7, 9]))
        // NaN and infinities are kept; refusing them is the model validation's job.
        if case .float(let special) = try values(ONNXBuilder.tensor(name: "t", dims: [3], dataType: 1, floats: [.nan, .infinity, -.infinity])) {
            #expect(special[0].isNaN && special[1] == .infinity && special[2] == -.infinity)
        }
        // Empty and scalar tensors.
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [0, 3], dataType: 1, raw: [])) == .float([]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [4, 0], dataType: 1)) == .float([]))
        #expect(try values(ONNXBuilder.tensor(name: "t", dims: [], dataType: 1, floats: [3])) == .float([3]))
    }

    @Test("hostile tensors are refused with a one-line error naming the tensor", arguments: [
        (ONNXBuilder.tensor(name: "t", dims: [1 << 62], dataType: 1), "too large: initializer 't' has a dimension of 4611686018427387904"),
        (ONNXBuilder.tensor(name: "t", dims: [1 << 31 - 1, 1 << 31 - 1], dataType: 1), "has 4,611,686,014,132,420,609 elements"),
        (ONNXBuilder.tensor(name: "t", dims: [65536, 65536, 65536, 65536, 65536], dataType: 1), "has more than 2^63 elements"),
        (ONNXBuilder.tensor(name: "t", dims: [2, -3], dataType: 1), "initializer 't' has a negative dimension (-3)"),
        (ONNXBuilder.tensor(name: "t", dims: Array(repeating: 1, count: 9), dataType: 1), "has 9 dimensions, more than the 8"),
        (ONNXBuilder.tensor(name: "t", dims: [2, 3], dataType: 1, raw: [0, 0, 0, 0]), "has 4 bytes of raw_data; 6 FLOAT values of shape [2, 3] take 24"),
        (ONNXBuilder.tensor(name: "t", dims: [2], dataType: 10, raw: [0, 0, 0]), "3 bytes of raw_data; 2 FLOAT16 values"),
        (ONNXBuilder.tensor(name: "t", dims: [1_000_000_000], dataType: 1, floats: [1, 2, 3]), "has 3 values in float_data; its shape [1000000000] needs 1,000,000,000"),
        (ONNXBuilder.tensor(name: "t", dims: [2], dataType: 1), "has 0 values in float_data"),
        (ONNXBuilder.tensor(name: "t", dims: [2], dataType: 1, raw: [0, 0, 0, 0, 0, 0, 0, 0], floats: [1, 2]), "values in both raw_data and float_data"),
        (ONNXBuilder.tensor(name: "t", dims: [2], dataType: 1, int64s: [1, 2]), "has values in int64_data, which a FLOAT tensor does not use"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 13, uint64s: [UInt64.max]), "holds the UINT64 value 18446744073709551615"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 8, strings: ["a"]), "initializer 't' is a STRING tensor"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 14, floats: [1, 2]), "is a COMPLEX64 tensor, which this reader does not convert"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 17, raw: [1]), "is a FLOAT8E4M3FN tensor"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 0, floats: [1]), "initializer 't' has no data type"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 99, floats: [1]), "has data type 99, which ONNX does not define"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 1, extra: Wire.int(14, 1) + Wire.bytes(13, Wire.string(1, "location") + Wire.string(2, "w.bin"))),
         "keeps its values in an external file ('w.bin')"),
        (ONNXBuilder.tensor(name: "t", dims: [1], dataType: 1, floats: [1], extra: Wire.bytes(3, Wire.int(1, 0) + Wire.int(2, 1))), "one segment of a larger tensor"),
        (ONNXBuilder.tensor(name: "", dims: [1], dataType: 1, floats: [1]), "initializer 0 has no name"),
        (ONNXBuilder.tensor(name: "t\nx", dims: [-1], dataType: 1), "initializer 't\\nx' has a negative dimension"),
    ] as [([UInt8], String)])
    func hostileTensor(_ tensor: [UInt8], _ message: String) {
        let error = Self.error(Self.model(tensor: tensor))
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        // The same checks apply to a standalone tensor file (where a name is optional).
        if !message.contains("has no name") {
            #expect(throws: ReaderError.self) { try ONNXModel.decodeTensor(tensor, source: "t.pb") }
        }
    }

    @Test("hostile graphs are refused in one line", arguments: [
        (ONNXBuilder.model(irVersion: nil, graph: ONNXBuilder.graph(nodes: [], inputs: [], outputs: [])), "it has no IR version"),
        (ONNXBuilder.model(graph: nil), "it has no graph"),
        (ONNXBuilder.model(opsets: [("ai.onnx.ml", 2)], graph: ONNXBuilder.graph(nodes: [ONNXBuilder.node(opType: "Relu", inputs: ["x"], outputs: ["y"])], inputs: [], outputs: [])),
         "the model's nodes use ONNX's default operator set but it imports no version of it"),
        (ONNXBuilder.model(opsets: [("", 13), ("ai.onnx", 11)], graph: ONNXBuilder.graph(nodes: [], inputs: [], outputs: [])), "imported twice, as versions 13 and 11"),
        (ONNXBuilder.model(opsets: [("", 0)], graph: ONNXBuilder.graph(nodes: [], inputs: [], outputs: [])), "operator set 'ai.onnx' has version 0"),
        (ONNXHandBuiltTests.model(nodes: [ONNXBuilder.node(opType: "", inputs: [], outputs: [])]), "(node 0 of the graph) has no operator type"),
        (ONNXHandBuiltTests.model(nodes: [ONNXBuilder.node(opType: "Sum", inputs: Array(repeating: "x", count: 4097), outputs: ["y"])]), "has 4,097 inputs, more than the 4,096"),
        (ONNXHandBuiltTests.model(nodes: [ONNXBuilder.node(opType: "A", inputs: [], outputs: [], attributes: [ONNXBuilder.intAttribute("k", 1), ONNXBuilder.intAttribute("k", 2)])]), "node 'A_0' has two attributes named 'k'"),
        (ONNXHandBuiltTests.model(nodes: [ONNXBuilder.node(opType: "A", inputs: [], outputs: [], attributes: [ONNXBuilder.intAttribute("", 1)])]), "has an attribute without a name"),
        (ONNXHandBuiltTests.model(nodes: [ONNXBuilder.node(opType: "A", inputs: [], outputs: [], attributes: [ONNXBuilder.stringAttribute("s", [0xFF, 0xFE])])]), "attribute 's' of node 'A_0' is not UTF-8 text"),
        (ONNXHandBuiltTests.model(nodes: [ONNXBuilder.node(opType: "A", inputs: [], outputs: [], attributes: [ONNXBuilder.tensorAttribute("value", ONNXBuilder.tensor(dims: [1 << 40], dataType: 1))])]), "attribute 'value' of node 'A_0' has a dimension of 1099511627776"),
        (ONNXHandBuiltTests.model(initializers: [ONNXBuilder.tensor(name: "t", dims: [1], dataType: 1, floats: [1]), ONNXBuilder.tensor(name: "t", dims: [1], dataType: 1, floats: [1])]), "there are two initializers named 't'"),
        (ONNXBuilder.model(graph: ONNXBuilder.graph(nodes: [], inputs: [ONNXBuilder.valueInfo("x", dims: [-1])], outputs: [])), "graph input 0 ('x') has a negative dimension (-1)"),
        (ONNXBuilder.model(graph: ONNXBuilder.graph(nodes: [], inputs: [ONNXBuilder.valueInfo("x", dims: [1 << 40])], outputs: [])), "graph input 0 ('x') has a dimension of 1099511627776"),
        (ONNXBuilder.model(graph: ONNXBuilder.graph(nodes: [], inputs: [], outputs: [ONNXBuilder.valueInfo("")])), "graph output 0 has no name"),
        // Wire-format damage, found by the scan before SwiftProtobuf decodes.
        (ONNXBuilder.model(graph: nil) + Wire.tag(7, 2) + Wire.varint(1 << 40), "claims 1099511627776 bytes"),
        (ONNXBuilder.model(graph: ONNXBuilder.graph(nodes: [], inputs: [], outputs: [])) + Wire.bytes(7, []), "field 7 at byte"),
        (ONNXHandBuiltTests.model(tensor: ONNXBuilder.tensor(name: "t", dims: [2], dataType: 1, floats: [1], extra: Wire.packedFloats(4, [2]))), "is given a second time in one message"),
        (Wire.tag(1, 3) + Wire.tag(1, 4), "wire type 3"),
        (Wire.tag(0, 0) + [0], "field number 0"),
        (Array(repeating: 0xFF, count: 11), "an overlong number"),
        ([0x08], "runs past the end"),
        // Not an ONNX model at all.
        (Array("name: \"caffe\"\nlayer { }".utf8), "not an ONNX model"),
        ([], "it has no IR version"),
    ] as [([UInt8], String)])
    func hostileGraph(_ bytes: [UInt8], _ message: String) {
        let error = Self.error(bytes)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("more nodes than a network may have are refused before decoding")
    func tooManyNodes() {
        // 100,001 empty nodes: 200 KB of file, some 50 MB of decoded structs.
        let graph = Array(repeating: Wire.bytes(1, []), count: SizeLimits.maximumLayerCount + 1).flatMap { $0 }
        let error = Self.error(ONNXBuilder.model(graph: graph))
        #expect(error == .tooLarge(file: "m.onnx", reason: "the graph has 100,001 nodes, more than the 100,000 a network may have"))
    }

    @Test("the memory plan counts decoded messages and converted values")
    func memoryPlan() throws {
        // 60,000 tiny tensors: 7 bytes each in the file, hundreds decoded.
        let tiny = Wire.bytes(5, ONNXBuilder.tensor(dims: [], dataType: 1))
        let bytes = ONNXBuilder.model(graph: Array(repeating: tiny, count: 60_000).flatMap { $0 })
        guard case .resource(_, .memoryLimit(let work, let needed, _, let largest, _))? = Self.error(bytes, limit: MemoryLimit(bytes: 16 << 20)) else {
            Issue.record("not refused for memory")
            return
        }
        #expect(work == "decoding the ONNX model")
        #expect(largest == "decoded message")
        #expect(needed > 30 * bytes.count)
        // 1 MiB of UINT8 raw_data becomes 8 MiB of Int64 values: planned after decoding, before converting.
        let wide = Self.model(tensor: ONNXBuilder.tensor(name: "t", dims: [1 << 20], dataType: 2, raw: Array(repeating: 7, count: 1 << 20)))
        guard case .resource(_, .memoryLimit(_, _, _, let part, let partBytes))? = Self.error(wide, limit: MemoryLimit(bytes: 6 << 20)) else {
            Issue.record("not refused for memory")
            return
        }
        #expect(part == "converted tensors")
        #expect(partBytes == 8 << 20)
        #expect(try Self.decode(wide, limit: MemoryLimit(bytes: 16 << 20)).initializers["t"]?.values.count == 1 << 20)
    }

    @Test("a file that is not a regular file, or is missing, is refused")
    func files() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ReaderError.unreadable(path: folder.path, reason: "it is a directory")) {
            try ONNXModel.read(contentsOf: folder)
        }
        let missing = folder.appendingPathComponent("missing.onnx")
        #expect(throws: ReaderError.fileNotFound(path: missing.path)) { try ONNXModel.read(contentsOf: missing) }
        let file = folder.appendingPathComponent("small.onnx")
        try Data(ONNXBuilder.small).write(to: file)
        #expect(try ONNXModel.read(contentsOf: file).nodes.count == 4)
    }

    @Test("every prefix of a small model is an error or a model, never a crash")
    func truncated() {
        let bytes = ONNXBuilder.small
        var read = 0
        for length in 0...bytes.count {
            if (try? Self.decode(Array(bytes.prefix(length)))) != nil { read += 1 }
        }
        // Only the whole file and the cuts between top-level fields past the graph read.
        #expect(read >= 1 && read < bytes.count / 4)
    }

    @Test("every single-bit flip of a small model is an error or a model, never a crash")
    func bitFlips() {
        let bytes = ONNXBuilder.small
        var read = 0
        for index in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                if let model = try? Self.decode(flipped) {
                    read += 1
                    for tensor in model.initializers.values {
                        #expect(tensor.values.count == tensor.dimensions.reduce(1, *))
                    }
                }
            }
        }
        #expect(read > 0)
    }
}
