import Foundation
import TestSupport
import Testing

/// train, prune, quantize, sensitivity and evaluate --mnist end to end on a small
/// network, and their refusals of bad options before any work.
@Suite("Compression commands")
struct CompressionCommandTests {
    static let digits = SharedData.mnistDigits.path
    static let lenet = SharedData.packageRoot.appendingPathComponent("fixtures/lenet-300-100.prototxt").path

    /// Trains a LeNet-300-100 for one epoch into `folder` (shared by the tests that need a model).
    static func trainedModel(in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("dense.sqz").path
        let run = try CommandRunner.run(["train", "--prototxt", lenet, "--mnist", digits, "--holdout", "5",
                                         "--epochs", "1", "--lr", "0.05", "-o", path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        return path
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func trainPruneQuantizeEvaluate() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dense = try Self.trainedModel(in: folder)
        let pruned = folder.appendingPathComponent("pruned.sqz").path
        let prune = try CommandRunner.run(["prune", dense, "-o", pruned, "--layer-density", "ip1=0.1,ip2=0.2,ip3=0.5",
                                           "--steps", "2", "--retrain", Self.digits, "--holdout", "5", "--epochs", "1",
                                           "--loss", "labels", "--json"])
        #expect(prune.status == 0, "\(prune.stderr)")
        let pruneJSON = try json(prune.stdout)
        let steps = try #require(pruneJSON["steps"] as? [[String: Any]])
        #expect(steps.count == 2)
        #expect(abs((steps[1]["density"] as? Double ?? 0) - 30_020.0 / 266_200) < 0.001)

        let quantized = folder.appendingPathComponent("q.sqz").path
        let svg = folder.appendingPathComponent("q.svg").path
        let quantize = try CommandRunner.run(["quantize", pruned, "-o", quantized, "--bits", "fc=5", "--finetune", Self.digits,
                                              "--holdout", "5", "--epochs", "1", "--lr", "0.001", "--svg", svg, "--json"])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        let q = try json(quantize.stdout)
        let tuned = try #require(q["accuracy_finetuned"] as? [String: Any])
        #expect((tuned["top1"] as? Double ?? 0) > 0.8)
        #expect((try String(contentsOfFile: svg, encoding: .utf8)).hasPrefix("<svg"))

        let evaluate = try CommandRunner.run(["evaluate", "--model", quantized, "--mnist", Self.digits, "--holdout", "5", "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(try json(evaluate.stdout)["top1"] as? Double == tuned["top1"] as? Double)

        let report = try CommandRunner.run(["report", quantized, "--json"])
        let r = try json(report.stdout)
        #expect((r["ratio"] as? Double ?? 0) > 20)
    }

    /// fixtures/mobile-mnist.onnx (tools/make-mobile-mnist.py): depthwise
    /// convolution, residual add, h-swish, a squeeze-and-excitation gate and a
    /// channel shuffle, trained from fresh weights; then pruned and run by both engines.
    @Test func mobileNetStyleNetworkTrains() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let definition = SharedData.packageRoot.appendingPathComponent("fixtures/mobile-mnist.onnx").path
        let trained = folder.appendingPathComponent("mobile.sqz").path
        let train = try CommandRunner.run(["train", "--onnx", definition, "--mnist", Self.digits, "--holdout", "5",
                                           "--epochs", "3", "--lr", "0.02", "-o", trained, "--json"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try json(train.stdout)
        let test = try #require(summary["test"] as? [String: Any] ?? summary["accuracy"] as? [String: Any], "\(summary)")
        #expect((test["top1"] as? Double ?? 0) > 0.85, "\(summary)")
        for engine in ["dense", "compressed"] {
            let bench = try CommandRunner.run(["bench", trained, "--engine", engine, "--iterations", "2", "--json"])
            #expect(bench.status == 0, "\(engine): \(bench.stderr)")
        }
        let pruned = folder.appendingPathComponent("pruned.sqz").path
        let prune = try CommandRunner.run(["prune", trained, "-o", pruned, "--density", "0.5", "--retrain", Self.digits,
                                           "--holdout", "5", "--epochs", "1", "--lr", "0.005", "--json"])
        #expect(prune.status == 0, "\(prune.stderr)")
    }

    @Test func sensitivityPrintsAndPlots() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dense = try Self.trainedModel(in: folder)
        let svg = folder.appendingPathComponent("s.svg").path
        let run = try CommandRunner.run(["sensitivity", dense, Self.digits, "--densities", "0.5,0.1", "--limit", "200",
                                         "--svg", svg, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let curves = try #require(try json(run.stdout)["curves"] as? [[String: Any]])
        #expect(curves.map { $0["layer"] as? String } == ["ip1", "ip2", "ip3"])
        #expect(FileManager.default.fileExists(atPath: svg))
    }

    static let refusals: [(arguments: [String], message: String)] = [
        (["quantize", "IN", "-o", "OUT", "--layer-bits", "ip9=4"], "unknown layer 'ip9'"),
        (["quantize", "IN", "-o", "OUT", "--bits", "fc=17"], "bits must be within 1...16"),
        (["quantize", "IN", "-o", "OUT", "--bits", "fc=0"], "bits must be within 1...16"),
        (["quantize", "IN", "-o", "OUT", "--bits", "conv=6,fcc=4"], "--bits takes conv=B and fc=B"),
        (["prune", "IN", "-o", "OUT", "--layer-density", "ip1=1.5"], "outside 0...1"),
        (["prune", "IN", "-o", "OUT", "--density=-0.2"], "--density must be within 0...1"),
        (["prune", "IN", "-o", "OUT", "--layer-density", "nope=0.5"], "unknown layer 'nope'"),
        (["prune", "IN", "-o", "OUT", "--density", "0.5", "--retrain", "EMPTY"], "empty"),
        (["prune", "IN", "-o", "OUT", "--density", "0.5", "--epochs", "-1"], "--epochs"),
        (["prune", "IN", "-o", "/nonexistent/out.sqz", "--density", "0.5"], "its folder does not exist"),
        (["train", "--prototxt", "LENET", "--mnist", "EMPTY", "-o", "OUT"], "empty"),
        (["sensitivity", "IN", "DIGITS", "--densities", "0.5,2"], "outside 0...1"),
    ]

    @Test(arguments: refusals.indices)
    func badOptionsAreRefusedBeforeWorkAndWriteNothing(_ index: Int) throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try Self.trainedModel(in: folder)
        let empty = folder.appendingPathComponent("empty.csv")
        try Data().write(to: empty)
        let out = folder.appendingPathComponent("out.sqz").path
        let arguments = Self.refusals[index].arguments.map {
            switch $0 {
            case "IN": model
            case "OUT": out
            case "EMPTY": empty.path
            case "LENET": Self.lenet
            case "DIGITS": Self.digits
            default: $0
            }
        }
        let run = try CommandRunner.run(arguments)
        #expect(run.status != 0 && run.status < 128, "\(run.stderr)")
        let first = run.errorLines.first.map(String.init) ?? ""
        #expect(first.contains(Self.refusals[index].message), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // Nothing half-written is left in the folder either.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
