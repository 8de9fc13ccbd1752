import Foundation
import SqueezeCompress
import Testing
import TestSupport

/// fixtures/onnx-probes (tools/make-onnx-probes.py): small models of supported
/// operators and attribute combinations the ONNX node tests miss, each with
/// onnxruntime's output. Four of them found wrong results once (constant
/// folding of Squeeze and Flatten, a Gemm C of shape [M, 1], the output of a
/// Split whose other part is unused); every one must now match with both engines.
@Suite("ONNX probes against onnxruntime")
struct ONNXProbeTests {
    static let folder = SharedData.packageRoot.appendingPathComponent("fixtures/onnx-probes")
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()

    /// Probes the toolkit refuses, and why (a refusal is a one-line error, not a wrong result).
    static let refused: [String: String] = [
        "gemm_c_mx1_square": "a Gemm C of shape [M, 1] is not a bias (refused rather than misread)",
        "softmax_opset11_axis1_3d_flat": "a Softmax of opset 11 over several flattened axes",
    ]

    @Test("every probe matches onnxruntime with both engines, or is refused as listed", arguments: cases)
    func probe(_ name: String) {
        let outcome = ONNXConformance.evaluate(name, in: Self.folder)
        switch outcome {
        case .pass:
            #expect(Self.refused[name] == nil, "\(name) passes now: take it off the refused list")
        case .refused(let reason):
            #expect(Self.refused[name] != nil, "\(name) is refused: \(reason)")
        case .failed(let problems):
            Issue.record("\(name): \(problems.joined(separator: "; "))")
        }
    }

    @Test("the probes are there")
    func present() { #expect(Self.cases.count >= 70) }
}
