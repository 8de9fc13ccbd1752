import Foundation
import SqueezeModel
import SqueezeReader
import TestSupport
import Testing

@Suite("Caffe network definitions")
struct CaffeDefinitionTests {
    @Test("SqueezeNet: 26 convolutions, ceil-mode pooling, 1000x15x15 before global pooling")
    func squeezeNetShapes() throws {
        let network = try CaffeDefinition.network(contentsOf: SharedData.squeezeNetPrototxt)
        #expect(network.name == "FireNet")
        #expect(network.inputs == [NetworkInput(name: "data", shape: [1, 3, 227, 227])])
        #expect(network.weightedLayers.count == 26)
        let shapes = try network.inferShapes()
        #expect(shapes.blobs["conv1"] == [1, 96, 111, 111])
        // (111 - 3) / 2 rounded up + 1 = 55: Caffe's ceil mode.
        #expect(shapes.blobs["pool1"] == [1, 96, 55, 55])
        #expect(shapes.blobs["conv_final"] == [1, 1000, 15, 15])
        #expect(shapes.blobs["pool_final"] == [1, 1000, 1, 1])
        #expect(shapes.weightCount == 1_244_448)
        #expect(network.outputNames == ["pool_final"])
    }

    /// Found by fuzzing: `stride_h`/`stride_w` and `pad_h`/`pad_w` on pooling
    /// were always refused as if `stride`/`pad` were given too.
    @Test("pooling takes stride_h/stride_w and pad_h/pad_w")
    func poolingSeparateStrideAndPadding() throws {
        let text = """
            input: "data" input_dim: 1 input_dim: 1 input_dim: 9 input_dim: 12
            layer { name: "p" type: "Pooling" bottom: "data" top: "p"
                    pooling_param { pool: MAX kernel_size: 3 stride_h: 2 stride_w: 3 pad_h: 1 pad_w: 0 } }
            """
        let network = try CaffeDefinition.network(prototxt: text)
        guard let p = network.layer(named: "p")?.kind as? Pooling else {
            Issue.record("p is not a pooling layer")
            return
        }
        #expect(p.stride == Spatial(height: 2, width: 3))
        #expect(p.padding == Spatial(height: 1, width: 0))
        #expect(try network.inferShapes().blobs["p"] == [1, 1, 5, 4])
        let both = text.replacingOccurrences(of: "stride_h: 2", with: "stride: 2 stride_h: 2")
        #expect(throws: ReaderError.self) { _ = try CaffeDefinition.network(prototxt: both) }
    }

    @Test("AlexNet: 60,965,224 parameters, grouped convolutions, LRN, softmax output")
    func alexNet() throws {
        let network = try CaffeDefinition.network(contentsOf: SharedData.alexNetPrototxt)
        let shapes = try network.inferShapes()
        #expect(shapes.parameterCount == 60_965_224)
        #expect(shapes.blobs["conv2"] == [10, 256, 27, 27])
        #expect(shapes.blobs["fc8"] == [10, 1000])
        #expect(network.outputIsProbability)
        guard let conv2 = network.layer(named: "conv2")?.kind as? Convolution else {
            Issue.record("conv2 is not a convolution")
            return
        }
        #expect(conv2.groups == 2)
    }

    @Test("writing and reading back a definition gives the same network",
          arguments: [SharedData.squeezeNetPrototxt, SharedData.alexNetPrototxt])
    func roundTrip(url: URL) throws {
        let network = try CaffeDefinition.network(contentsOf: url)
        let text = try CaffeDefinition.prototxt(for: network)
        let again = try CaffeDefinition.network(prototxt: text)
        // input_dim becomes input_shape; the network itself is unchanged.
        #expect(again == network)
        let binary = try CaffeDefinition.binaryDefinition(for: network)
        #expect(try CaffeDefinition.network(binaryDefinition: binary, source: "test") == network)
    }

    @Test("TRAIN-only layers are dropped and Input layers declare inputs")
    func phasesAndInputLayers() throws {
        let text = """
            name: "tiny"
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 2 dim: 1 dim: 8 dim: 8 } } }
            layer { name: "drop_train" type: "Dropout" bottom: "data" top: "data" include { phase: TRAIN } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                    convolution_param { num_output: 4 kernel_h: 3 kernel_w: 5 pad_w: 2 pad_h: 1 } }
            layer { name: "fc" type: "InnerProduct" bottom: "conv" top: "fc" inner_product_param { num_output: 10 } }
            layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" exclude { phase: TRAIN } }
            """
        let network = try CaffeDefinition.network(prototxt: text)
        #expect(network.inputs == [NetworkInput(name: "data", shape: [2, 1, 8, 8])])
        #expect(network.layers.map(\.name) == ["conv", "fc", "prob"])
        let shapes = try network.inferShapes()
        #expect(shapes.blobs["conv"] == [2, 4, 8, 8])
        #expect(shapes.parameterCount == 4 * 15 + 4 + 256 * 10 + 10)
    }
}

@Suite("Definition errors name the place")
struct CaffeDefinitionErrorTests {
    static let cases: [(String, String, String)] = [
        ("missing brace", "input: \"data\"\nlayer {\n  name: \"a\"\n", "<t>:4:1: syntax error: missing '}' before the end of the file"),
        ("stray brace", "name: \"x\"\n}\n", "<t>:2:1: syntax error: unexpected '}'"),
        ("unterminated string", "name: \"x\n", "<t>:1:7: syntax error: unterminated string"),
        ("missing colon", "name \"x\"\n", "<t>:1:6: syntax error: expected ':' or '{' after 'name'"),
        ("unknown field", "input: \"data\"\nlayer {\n  name: \"a\"\n  colour: 3\n}\n", "<t>:4:3: unknown field 'layer.colour'"),
        ("unknown nested field", "layer {\n  convolution_param { num_output: 1 kernal_size: 3 }\n}\n",
         "<t>:2:37: unknown field 'layer.convolution_param.kernal_size'"),
        ("bad enum", "layer {\n  pooling_param {\n    pool: MEDIAN\n  }\n}\n",
         "<t>:3:5: 'layer.pooling_param.pool' has a value that is not one of its names"),
        ("unsupported type", "input: \"data\"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4\nlayer { name: \"s\" type: \"TanH\" bottom: \"data\" top: \"s\" }\n",
         "<t>: layer 's' has type 'TanH', which is not supported (supported: Convolution, InnerProduct, ReLU, Pooling, Concat, "
            + "Dropout, LRN, Softmax, BatchNorm, Scale, Eltwise, ReLU6, Sigmoid, Clip, DepthwiseConvolution, ConvolutionDepthwise, Input)"),
        ("no input", "layer { name: \"r\" type: \"ReLU\" bottom: \"x\" top: \"x\" }\n",
         "<t>: the network declares no input (input/input_dim, input_shape or an Input layer)"),
        ("unknown blob", "input: \"data\"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4\nlayer { name: \"r\" type: \"ReLU\" bottom: \"nope\" top: \"r\" }\n",
         "<t>: layer 'r' reads blob 'nope', which no input or earlier layer produces"),
        ("zero outputs", "input: \"data\"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4\nlayer {\n name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\"\n convolution_param { num_output: 0 kernel_size: 1 } }\n",
         "<t>:6:1: layer 'c': convolution_param.num_output must be positive"),
    ]

    @Test("one-line error with file, line and column", arguments: cases)
    func error(name: String, text: String, expected: String) {
        do {
            let network = try CaffeDefinition.network(prototxt: text, source: "<t>")
            Issue.record("\(name): parsed as \(network)")
        } catch {
            #expect(error.description == expected, "\(name)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("a missing file is named")
    func missingFile() {
        #expect(throws: ReaderError.fileNotFound(path: "/nonexistent/x.prototxt")) {
            try CaffeDefinition.network(contentsOf: URL(fileURLWithPath: "/nonexistent/x.prototxt"))
        }
    }
}
