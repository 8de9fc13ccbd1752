import Foundation
import SqueezeModel
import SqueezeReader
import Testing

/// The layer types Caffe MobileNet ports use: BatchNorm + Scale (folded into
/// the convolution before), ReLU6, depthwise convolution, Eltwise.
@Suite("Caffe MobileNet layers")
struct CaffeMobileNetTests {
    static let definition = """
        name: "mobile"
        input: "data" input_dim: 1 input_dim: 2 input_dim: 6 input_dim: 6
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 1 bias_term: false } }
        layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" batch_norm_param { eps: 0.001 } }
        layer { name: "sc1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
        layer { name: "relu1" type: "ReLU6" bottom: "conv1" top: "conv1" }
        layer { name: "dw" type: "DepthwiseConvolution" bottom: "conv1" top: "dw" convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
        layer { name: "bn2" type: "BatchNorm" bottom: "dw" top: "dw_bn" }
        layer { name: "sum" type: "Eltwise" bottom: "conv1" bottom: "dw_bn" top: "sum" eltwise_param { operation: SUM } }
        layer { name: "prod" type: "Eltwise" bottom: "sum" bottom: "conv1" top: "prod" eltwise_param { operation: PROD } }
        layer { name: "clip" type: "Clip" bottom: "prod" top: "clip" clip_param { min: -1 max: 2 } }
        """

    // A minimal protobuf writer for a .caffemodel (NetParameter.layer = 100;
    // LayerParameter name 1, type 2, blobs 7, batch_norm_param 139 with eps 3;
    // BlobProto shape 7 with packed dim 1, packed data 5).
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    static func field(_ number: Int, _ body: [UInt8]) -> [UInt8] { varint(UInt64(number << 3 | 2)) + varint(UInt64(body.count)) + body }
    static func blob(_ values: [Float]) -> [UInt8] {
        let dims = varint(UInt64(values.count))
        let data = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        return field(7, field(7, field(1, dims)) + field(5, data))
    }
    static func layer(_ name: String, _ type: String, _ blobs: [[Float]], eps: Float? = nil) -> [UInt8] {
        var body = field(1, Array(name.utf8)) + field(2, Array(type.utf8)) + blobs.flatMap(blob)
        if let eps { body += field(139, [0x1D] + withUnsafeBytes(of: eps.bitPattern.littleEndian) { Array($0) }) }
        return field(100, body)
    }

    static let conv1: [Float] = (0..<8).map { Float($0) * 0.25 - 1 }
    static let dw: [Float] = (0..<36).map { Float($0 % 7) * 0.1 - 0.3 }
    static let dwBias: [Float] = [0.1, -0.2, 0.3, 0]
    static let mean: [Float] = [0.5, -0.5, 1, 0], variance: [Float] = [4, 1, 0.25, 2], factor: [Float] = [2]
    static let gamma: [Float] = [1, 2, 0.5, -1], beta: [Float] = [0, 0.1, -0.1, 0.2]
    static let mean2: [Float] = [0.1, 0.2, 0.3, 0.4], variance2: [Float] = [1, 1, 2, 2]

    static func caffemodel() -> Data {
        Data(layer("conv1", "Convolution", [conv1]) + layer("bn1", "BatchNorm", [mean, variance, factor], eps: 0.001)
             + layer("sc1", "Scale", [gamma, beta]) + layer("dw", "DepthwiseConvolution", [dw, dwBias])
             + layer("bn2", "BatchNorm", [mean2, variance2, [1]]))
    }

    @Test("BatchNorm and Scale fold into the convolution; ReLU6, depthwise, Eltwise and Clip map to operators")
    func mapping() throws {
        let network = try CaffeDefinition.network(prototxt: Self.definition)
        #expect(network.layer(named: "relu1")?.kind as? Clip == Clip(minimum: 0, maximum: 6))
        #expect((network.layer(named: "dw")?.kind as? Convolution)?.groups == 4)
        #expect(network.layer(named: "sum")?.kind as? Eltwise == Eltwise(.sum))
        #expect(network.layer(named: "prod")?.kind as? Eltwise == Eltwise(.product))
        let model = try CaffeWeights.decode(Self.caffemodel(), network: network, source: "test")
        #expect(model.network.layer(named: "bn1") == nil && model.network.layer(named: "sc1") == nil)
        #expect(model.network.layer(named: "bn2") == nil)
        #expect(model.network.layers.map(\.name) == ["conv1", "relu1", "dw", "sum", "prod", "clip"])
        // conv1 row c is scaled by gamma / sqrt(var / factor + eps), its bias is
        // beta - mean / factor * that.
        let conv = try #require(model.parameters["conv1"])
        for c in 0..<4 {
            let s = Self.gamma[c] / (Self.variance[c] / 2 + 0.001).squareRoot()
            #expect(abs(conv.weights.denseValues()[2 * c] - Self.conv1[2 * c] * s) < 1e-6)
            #expect(abs(conv.bias[c] - (Self.beta[c] - Self.mean[c] / 2 * s)) < 1e-6)
        }
        let dw = try #require(model.parameters["dw"])
        for c in 0..<4 {
            let s = 1 / (Self.variance2[c] + 1e-5).squareRoot()
            #expect(abs(dw.bias[c] - (Self.dwBias[c] - Self.mean2[c]) * s) < 1e-5)
        }
        #expect(try model.network.inferShapes().blobs["clip"] == [1, 4, 6, 6])
    }

    @Test("Eltwise SUM with other coefficients is refused by name")
    func coefficients() {
        let text = """
            input: "data" input_dim: 1 input_dim: 1 input_dim: 2 input_dim: 2
            layer { name: "e" type: "Eltwise" bottom: "data" bottom: "data" top: "e" eltwise_param { operation: SUM coeff: 2 coeff: 1 } }
            """
        #expect {
            try CaffeDefinition.network(prototxt: text)
        } throws: { error in
            "\(error)".contains("coefficients")
        }
    }
}
