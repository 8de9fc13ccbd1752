import Foundation
import SqueezeCompress
import Testing
import TestSupport

// ONNX's backend node tests (Debian's libonnx-testdata: one-operator models
// with inputs and expected outputs as TensorProto files) for every operator
// the importer reads.
//
// A node test takes part when every node of its model has a type in
// `ONNXNetworkBuilder.supportedTypes`. Each such test either
//   - imports, and every test_data_set gives output_0.pb (shape and values)
//     with the dense engine and the compressed engine (1 and 2 threads), within
//     ONNX's own backend-test tolerance (numpy.testing.assert_allclose with
//     rtol=1e-3, atol=1e-7: |actual - expected| <= atol + rtol * |expected|,
//     NaN matching NaN), or
//   - is refused, and docs/onnx-conformance-refused.tsv lists it with the very
//     reason (test name TAB reason, sorted by name).
// A refusal is: the importer's error, an engine refusing to compile the model,
// an input or output element type that is not a floating-point one (the
// engines compute float32), more than one graph output (the engines expose one
// output), a test_data_set with more than one input, or a test input whose
// shape differs from the model's declared input (beyond the batch axis, when
// that axis is not a fixed number). A wrong value, a wrong output shape or an
// engine error at run time is a failure, never a refusal. A listed test that
// now passes fails too, so the list stays truthful.
//
// Most node tests feed an operator's every operand as a graph input (Conv's
// weights, Reshape's shape, Slice's starts), which the engines refuse (they
// take one runtime input; weights are initializers). So each test with more
// than one runtime input is also run a second way, "frozen": its inputs after
// the first become initializers holding test_data_set_0's values (as an
// exported model holds its weights), and the rules above apply again; the list
// keeps those refusals as `<test>+frozen`. Only test_data_set_0 is run then.
//
// Regenerating the list (after the importer learns something, or its messages
// change):
//
//     SQUEEZE_CONFORMANCE_WRITE=1 swift test -c release --skip-build \
//         --scratch-path .build-conf --filter ONNXConformance
//
// writes docs/onnx-conformance-refused.tsv from the refusals instead of
// checking against it (failures still fail, and are not written).
//
// With libonnx-testdata 1.12.0 (932 node tests), the summary test prints:
// 243 node tests of supported operators: 43 pass with both engines, 200 are
// refused (139 for more than one runtime input, 14 batch-axis limitations,
// 12 integer/bool/string tensors, 10 Cast on a computed tensor, 7 opsets
// outside 11-21, 7 unsupported pooling configurations (1-D, 3-D, dilations,
// the Indices output), 4 identity networks the engines refuse (no layer),
// 2 Max/Min of one operand, 2 inputs of no tensor shape, 1 Dropout mask
// output, 1 constant model, 1 several outputs), 0 fail. Their 139 frozen runs:
// 46 pass, 93 are refused, 0 fail.

/// The outcome of one node test.
enum ConformanceOutcome: Sendable, Equatable {
    /// Every test_data_set matches with every engine; the string counts them.
    case pass(String)
    /// Not run (or not compared): why.
    case refused(String)
    /// Ran and disagreed, or failed at run time: what went wrong.
    case failed([String])
}

enum ONNXConformance {
    static let folder = URL(fileURLWithPath: "/usr/share/libonnx-testdata/data/node")
    static let listURL = SharedData.packageRoot.appendingPathComponent("docs/onnx-conformance-refused.tsv")
    static let writing = ProcessInfo.processInfo.environment["SQUEEZE_CONFORMANCE_WRITE"] == "1"
    static let rtol: Float = 1e-3
    static let atol: Float = 1e-7

    static var available: Bool { FileManager.default.fileExists(atPath: folder.path) }

    /// The node tests whose every node has a supported type, by name; tests
    /// whose model the reader cannot read are left out (their types are unknown).
    static let cases: [String] = {
        guard available,
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let supported = Set(ONNXNetworkBuilder.supportedTypes)
        return names.filter { $0.hasPrefix("test_") }.sorted().filter { name in
            guard let model = try? ONNXModel.read(contentsOf: folder.appendingPathComponent("\(name)/model.onnx")) else {
                return false
            }
            return !model.nodes.isEmpty && model.nodes.allSatisfy { supported.contains($0.opType) }
        }
    }()

    /// docs/onnx-conformance-refused.tsv: reason by test name.
    static func readList() -> [String: String] {
        guard let text = try? String(contentsOf: listURL, encoding: .utf8) else { return [:] }
        var list: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2, fields[0] != "test" else { continue }
            list[String(fields[0])] = String(fields[1])
        }
        return list
    }

    static let list = readList()

    /// Every case's outcome, worked out once (the per-test cases and the
    /// summary share it).
    static let outcomes: [String: ConformanceOutcome] = {
        Dictionary(uniqueKeysWithValues: cases.map { ($0, evaluate($0)) }
            + frozenCases.map { (frozenName($0), evaluate($0, freezing: true)) })
    }()

    /// One line, no tabs, no absolute paths: as the list keeps a reason.
    static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: folder.path + "/", with: "")
            .replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    static let floatingTypes: Set<ONNXTensor.DataType> = [.float, .double, .float16, .bfloat16]

    /// numpy.testing.assert_allclose(actual, expected, rtol, atol), equal_nan=True.
    static func close(_ actual: Float, _ expected: Float) -> Bool {
        if expected.isNaN { return actual.isNaN }
        if expected.isInfinite { return actual == expected }
        return abs(actual - expected) <= atol + rtol * abs(expected)
    }

    /// The name a frozen run has in the list.
    static func frozenName(_ name: String) -> String { name + "+frozen" }

    /// Whether the model has more than one runtime input (so has a frozen run).
    static func hasSeveralInputs(_ name: String) -> Bool {
        guard let model = try? ONNXModel.read(contentsOf: folder.appendingPathComponent("\(name)/model.onnx")) else { return false }
        return model.inputs.filter { model.initializers[$0.name] == nil }.count > 1
    }

    /// The tests that also have a frozen run.
    static let frozenCases: [String] = cases.filter(hasSeveralInputs)

    /// Runs the node test `name` of `base`; `freezing` turns its runtime
    /// inputs after the first into initializers of test_data_set_0's values
    /// and runs that set only.
    static func evaluate(_ name: String, freezing: Bool = false, in base: URL = folder) -> ConformanceOutcome {
        let directory = base.appendingPathComponent(name)
        var onnx: ONNXModel
        do { onnx = try ONNXModel.read(contentsOf: directory.appendingPathComponent("model.onnx")) } catch {
            return .refused(clean(error.description))
        }
        if freezing {
            let runtime = onnx.inputs.filter { onnx.initializers[$0.name] == nil }
            let set0 = directory.appendingPathComponent("test_data_set_0")
            for (k, input) in runtime.enumerated().dropFirst() {
                do {
                    var t = try ONNXModel.readTensor(contentsOf: set0.appendingPathComponent("input_\(k).pb"))
                    t.name = input.name
                    onnx.initializers[input.name] = t
                    onnx.initializerNames.append(input.name)
                } catch {
                    return .refused(clean(error.description))
                }
            }
            onnx.inputs = Array(runtime.prefix(1))
        }
        let model: Model
        do { model = try ONNXNetworkBuilder.model(onnx, source: "model.onnx") } catch {
            return .refused(clean(error.description))
        }
        if onnx.outputs.count > 1 { return .refused("several outputs") }
        for value in onnx.inputs + onnx.outputs {
            guard let type = value.elementType else { return .refused("'\(value.name)' is not a tensor") }
            guard floatingTypes.contains(type) else {
                return .refused("\(type.name) tensor '\(value.name)': the engines compute float32")
            }
        }
        let declared = model.network.inputs[0].shape
        let fixedBatch: Bool = {
            guard let first = onnx.inputs.first(where: { onnx.initializers[$0.name] == nil })?.dimensions?.first,
                  case .value(let v) = first else { return false }
            return v > 0
        }()
        let sets = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("test_data_set_") }.sorted().prefix(freezing ? 1 : .max)
        guard !sets.isEmpty else { return .refused("no test_data_set") }

        var problems: [String] = []
        var engines: [String: any InferenceEngine] = [:]
        for set in sets {
            let setURL = directory.appendingPathComponent(set)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: setURL.path)) ?? []
            let inputCount = freezing ? 1 : files.filter { $0.hasPrefix("input_") }.count
            guard inputCount == 1 else { return .refused("\(set) has \(inputCount) inputs; the engines take one") }
            let input: HostTensor, expected: HostTensor
            do {
                input = try HostTensor.readTensorProto(contentsOf: setURL.appendingPathComponent("input_0.pb")).tensor
                expected = try HostTensor.readTensorProto(contentsOf: setURL.appendingPathComponent("output_0.pb")).tensor
            } catch {
                return .refused(clean(error.description))
            }
            let shapeMatches = input.shape.count == declared.rank && !input.shape.isEmpty
                && input.shape.dropFirst().elementsEqual(declared.dimensions.dropFirst())
                && (!fixedBatch || input.shape[0] == declared[0])
            guard shapeMatches else {
                return .refused("\(set): input shape \(input.shape) differs from the model's declared input \(declared.dimensions)")
            }
            let batch = input.shape[0]
            for engineName in ["dense", "compressed, 1 thread", "compressed, 2 threads"] {
                let key = "\(engineName) \(batch)"
                if engines[key] == nil {
                    do {
                        switch engineName {
                        case "dense":
                            engines[key] = try DenseProgram(model: model, batchSize: batch).makeExecutor()
                        case "compressed, 1 thread":
                            engines[key] = try CompressedNetwork(model: model).program(batchSize: batch, threads: 1).makeExecutor()
                        default:
                            engines[key] = try CompressedNetwork(model: model).program(batchSize: batch, threads: 2).makeExecutor()
                        }
                    } catch {
                        return .refused(clean("\(engineName.split(separator: ",")[0]) engine: \(error.description)"))
                    }
                }
                let engine = engines[key]!
                guard engine.outputShape.dimensions == expected.shape else {
                    problems.append("\(set) \(engineName): output shape \(engine.outputShape.dimensions), expected \(expected.shape)")
                    continue
                }
                let actual: [Float]
                do { actual = try engine.run(input.values) } catch {
                    problems.append("\(set) \(engineName): run failed: \(error.description)")
                    continue
                }
                let bad = actual.indices.filter { !close(actual[$0], expected.values[$0]) }
                if let first = bad.first {
                    let worst = bad.max { abs(actual[$0] - expected.values[$0]) < abs(actual[$1] - expected.values[$1]) }!
                    problems.append("\(set) \(engineName): \(bad.count) of \(actual.count) values off; first at \(first): "
                        + "\(actual[first]) expected \(expected.values[first]); worst at \(worst): \(actual[worst]) expected "
                        + "\(expected.values[worst])")
                }
            }
        }
        return problems.isEmpty ? .pass("\(sets.count) test_data_set(s), 3 engine runs each") : .failed(problems)
    }

    /// The reason's category, for the summary's counts.
    static func category(_ reason: String) -> String {
        if reason.contains("has 0 inputs besides its initializers") { return "no runtime input (a constant model)" }
        if reason.contains("inputs besides its initializers") || reason.contains("inputs; the engines take one") {
            return "more than one runtime input"
        }
        if reason.contains("opset") { return "opset outside 11-21" }
        if reason.contains("the engines compute float32") || reason.contains("only numeric tensors") {
            return "integer, bool or string tensors"
        }
        if reason == "several outputs" { return "several outputs" }
        if reason.contains("differs from the model's declared input") { return "test input shape differs from the declared input" }
        if reason.contains("engine:") { return "an engine refuses the imported network" }
        if reason.contains("has no shape") { return "input of no tensor shape (optional, sequence)" }
        if reason.contains("batch axis") || reason.contains("must have batch 1") { return "batch-axis limitation" }
        if reason.contains(" is empty") { return "empty result" }
        if reason.contains("only supported on values known at import") { return "operator only folded at import (Cast, Gather)" }
        if let open = reason.range(of: "node '"), let type = reason[open.upperBound...].split(separator: "(").dropFirst().first?
            .split(separator: ")").first {
            return "importer refuses a \(type) configuration"
        }
        return "other"
    }
}

@Suite("ONNX backend node tests (libonnx-testdata)",
       .enabled(if: ONNXConformance.available, "/usr/share/libonnx-testdata/data/node is not there (apt install libonnx-testdata)"))
struct ONNXConformanceTests {
    /// Checks one run's outcome against the list.
    private func check(_ key: String) {
        let outcome = ONNXConformance.outcomes[key]!
        let listed = ONNXConformance.list[key]
        switch outcome {
        case .pass:
            if let listed, !ONNXConformance.writing {
                Issue.record("\(key) passes with both engines but docs/onnx-conformance-refused.tsv lists it (\(listed)); remove it")
            }
        case .refused(let reason):
            if !ONNXConformance.writing {
                #expect(listed == reason, "\(key) is refused (\(reason)); docs/onnx-conformance-refused.tsv has \(listed ?? "nothing")")
            }
        case .failed(let problems):
            let details = problems.joined(separator: "\n")
            Issue.record("\(key) gives wrong results:\n\(details)")
        }
    }

    @Test("passes with both engines within rtol 1e-3, atol 1e-7, or is listed as refused with its reason",
          arguments: ONNXConformance.cases)
    func nodeTest(_ name: String) {
        check(name)
    }

    @Test("with its inputs after the first frozen as initializers: passes, or is listed as refused (<test>+frozen)",
          arguments: ONNXConformance.frozenCases)
    func frozenNodeTest(_ name: String) {
        check(ONNXConformance.frozenName(name))
    }

    @Test("counts: every node test of a supported operator passes or is refused; the list names no other test")
    func summary() throws {
        let outcomes = ONNXConformance.outcomes
        var report = ""
        var refusals: [(String, String)] = [], allFailed: [String] = []
        for (title, keys) in [("node tests of supported operators", ONNXConformance.cases),
                              ("frozen runs of those with several runtime inputs",
                               ONNXConformance.frozenCases.map(ONNXConformance.frozenName))] {
            var passed = 0, refused = 0, failed: [String] = []
            var categories: [String: Int] = [:]
            for key in keys {
                switch outcomes[key]! {
                case .pass: passed += 1
                case .refused(let reason):
                    refused += 1
                    refusals.append((key, reason))
                    categories[ONNXConformance.category(reason), default: 0] += 1
                case .failed: failed.append(key)
                }
            }
            report += "ONNX conformance: \(keys.count) \(title): \(passed) pass with both engines, \(refused) refused, "
                + "\(failed.count) fail\n"
            for (category, count) in categories.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
                report += "  refused, \(category): \(count)\n"
            }
            if !failed.isEmpty {
                let names = failed.joined(separator: ", ")
                report += "  failing: \(names)\n"
            }
            allFailed += failed
            #expect(passed + refused + failed.count == keys.count)
        }
        print(report, terminator: "")

        if ONNXConformance.writing {
            let lines = ["test\treason"] + refusals.sorted { $0.0 < $1.0 }.map { "\($0.0)\t\($0.1)" }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: ONNXConformance.listURL, options: .atomic)
            print("wrote \(ONNXConformance.listURL.path) (\(refusals.count) refusals)")
            return
        }
        #expect(!ONNXConformance.cases.isEmpty)
        #expect(allFailed.isEmpty, "\(allFailed.count) runs give wrong results: \(allFailed.joined(separator: ", "))")
        let list = ONNXConformance.list
        let stale = list.keys.filter { outcomes[$0] == nil }.sorted()
        #expect(stale.isEmpty, "docs/onnx-conformance-refused.tsv lists runs that are not node tests of supported operators: \(stale)")
        #expect(list.count == refusals.count, "the list has \(list.count) entries, \(refusals.count) runs are refused")
    }
}
