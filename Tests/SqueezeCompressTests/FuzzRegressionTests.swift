import Foundation
import Testing

import SqueezeCompress

// The fuzz targets' inputs, run through the same harness libFuzzer drives
// (FuzzHarness.swift in this folder is a symlink to
// Fuzz/Sources/FuzzHarness/FuzzHarness.swift): every past finding in
// fixtures/fuzz/regressions/<target>/ must now run without a crash, and every
// seed in fixtures/fuzz/<target>/ must get as far as it did when it was made
// (so the seeds keep reaching past the readers).
//
// A finding traps, so each input runs in a child process (an exit test): a
// regression fails its own test case, naming its file, and the rest still run.
// These run without sanitizers; tools/fuzz.sh check runs the same inputs
// under ASan.

/// One input file of one fuzz target.
struct FuzzInput: Sendable, CustomTestStringConvertible {
    var target: FuzzHarness.Target
    var path: String

    var testDescription: String { "\(target)/\((path as NSString).lastPathComponent)" }

    var bytes: [UInt8] {
        get throws { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
    }

    /// fixtures/fuzz in this package.
    static let fixtures: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/SqueezeCompressTests/FuzzRegressionTests.swift -> package root
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/fuzz")
    }()

    /// The files of `folder` below fixtures/fuzz, for every target, in name order.
    static func all(in folder: (FuzzHarness.Target) -> String) -> [FuzzInput] {
        FuzzHarness.Target.allCases.flatMap { target in
            let directory = fixtures.appendingPathComponent(folder(target))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.map {
                FuzzInput(target: target, path: directory.appendingPathComponent($0).path)
            }
        }
    }

    static let regressions = all { "regressions/\($0.rawValue)" }
    static let seeds = all { $0.rawValue }
}

/// How far each seed gets (``FuzzHarness/Outcome``): every seed runs (an
/// engine, a training step, preprocessing, loading samples) except these.
private let seedsThatStopEarlier: [String: FuzzHarness.Outcome] = [
    // Readable, but the engines and the trainer take one input.
    "prototxt/two-inputs.prototxt": .read,
    // Readable, but there is no layer to run.
    "prototxt/inputs-only.prototxt": .read,
    // Errors the reader must report.
    "prototxt/empty.prototxt": .rejected,
    "prototxt/unsupported-and-unnamed.prototxt": .rejected,
    "mnist/short-line.csv": .rejected,
    "mnist/bad-values.csv": .rejected,
]

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    @Test("the seed and regression folders are there")
    func foldersExist() {
        for target in FuzzHarness.Target.allCases {
            let seeds = FuzzInput.seeds.filter { $0.target == target }
            #expect(!seeds.isEmpty, "no seeds in fixtures/fuzz/\(target.rawValue)")
        }
    }

    @Test("a past finding runs without a crash", .timeLimit(.minutes(2)), arguments: FuzzInput.regressions)
    func regression(_ input: FuzzInput) async throws {
        let target = input.target, bytes = try input.bytes
        await #expect(processExitsWith: .success, "\(input.testDescription)") { [target = target as FuzzHarness.Target, bytes = bytes as [UInt8]] in
            FuzzHarness.run(target, bytes)
        }
    }

    @Test("a seed runs as far as it did", .timeLimit(.minutes(2)), arguments: FuzzInput.seeds)
    func seed(_ input: FuzzInput) async throws {
        let target = input.target, bytes = try input.bytes
        let expected = seedsThatStopEarlier[input.testDescription] ?? .ran
        // The child's exit status is the outcome; a crash is a signal.
        await #expect(processExitsWith: .exitCode(Int32(expected.rawValue)), "\(input.testDescription): expected \(expected)") {
            [target = target as FuzzHarness.Target, bytes = bytes as [UInt8]] in
            exit(Int32(FuzzHarness.run(target, bytes).rawValue))
        }
    }
}
