import Foundation
import TestSupport
import Testing

/// Bad input gets one clear line on standard error and a non-zero exit, never a crash.
@Suite("The CLI refuses bad input in one line")
struct BadInputTests {
    static let prototxt = SharedData.squeezeNetPrototxt.path
    static let weights = SharedData.squeezeNetWeights.path
    static let image = SharedData.imageNetSample.appendingPathComponent("n01440764_tench.JPEG").path

    /// Runs the tool and checks the failure shape; returns the error line.
    @discardableResult
    func expectFailure(_ arguments: [String], containing expected: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let output = try CommandRunner.run(arguments)
        #expect(output.status != 0, "exit status", sourceLocation: sourceLocation)
        // Killed by a signal (a crash) shows as a status above 128 from Foundation.
        #expect(output.status < 128, "crashed: \(output.stderr)", sourceLocation: sourceLocation)
        let first = output.errorLines.first.map(String.init) ?? ""
        #expect(first.contains(expected), "stderr: \(output.stderr)", sourceLocation: sourceLocation)
        #expect(!output.stderr.contains("Fatal error") && !output.stderr.contains("Stack dump"),
                sourceLocation: sourceLocation)
        return first
    }

    @Test("a missing weights file")
    func missingWeights() throws {
        try expectFailure(["classify", "--prototxt", Self.prototxt, "--weights", "/nonexistent/w.net", Self.image],
                          containing: "/nonexistent/w.net: no such file")
    }

    @Test("a missing prototxt")
    func missingPrototxt() throws {
        try expectFailure(["classify", "--prototxt", "/nonexistent/p.prototxt", "--weights", Self.weights, Self.image],
                          containing: "/nonexistent/p.prototxt: no such file")
    }

    @Test("a prototxt with a syntax error names line and column")
    func syntaxError() throws {
        let dir = try SharedData.temporaryDirectory()
        let bad = dir.appendingPathComponent("bad.prototxt")
        var text = try String(contentsOf: SharedData.squeezeNetPrototxt, encoding: .utf8)
        text = text.replacingOccurrences(of: "  name: \"pool1\"", with: "  name: \"pool1\" {")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        let line = try expectFailure(["classify", "--prototxt", bad.path, "--weights", Self.weights, Self.image],
                                     containing: "bad.prototxt:")
        #expect(line.contains("syntax error"))
    }

    @Test("a truncated .net file names the layer", arguments: [10, 200_000, 675_000])
    func truncatedNet(length: Int) throws {
        let dir = try SharedData.temporaryDirectory()
        let cut = dir.appendingPathComponent("cut.net")
        try Data(contentsOf: SharedData.squeezeNetWeights).prefix(length).write(to: cut)
        try expectFailure(["classify", "--prototxt", Self.prototxt, "--weights", cut.path, Self.image],
                          containing: "truncated in layer")
    }

    @Test("a .net file longer than the network needs")
    func longNet() throws {
        let dir = try SharedData.temporaryDirectory()
        let long = dir.appendingPathComponent("long.net")
        try (Data(contentsOf: SharedData.squeezeNetWeights) + Data(count: 64)).write(to: long)
        try expectFailure(["classify", "--prototxt", Self.prototxt, "--weights", long.path, Self.image],
                          containing: "64 bytes left after the last layer")
    }

    @Test("a JPEG that is not a JPEG")
    func notAJPEG() throws {
        let dir = try SharedData.temporaryDirectory()
        let fake = dir.appendingPathComponent("n01440764_fake.JPEG")
        try Data("this is not an image\n".utf8).write(to: fake)
        try expectFailure(["classify", "--prototxt", Self.prototxt, "--weights", Self.weights, fake.path],
                          containing: "n01440764_fake.JPEG")
    }

    @Test("an image folder with no images")
    func emptyFolder() throws {
        let dir = try SharedData.temporaryDirectory()
        try FileManager.default.copyItem(at: SharedData.imageNetSample.appendingPathComponent("synsets.txt"),
                                         to: dir.appendingPathComponent("synsets.txt"))
        try expectFailure(["evaluate", "--prototxt", Self.prototxt, "--weights", Self.weights, dir.path],
                          containing: "no <synset>_*.JPEG images")
    }

    @Test("an image folder that does not exist")
    func missingFolder() throws {
        try expectFailure(["evaluate", "--prototxt", Self.prototxt, "--weights", Self.weights,
                           "--synsets", SharedData.imageNetSample.appendingPathComponent("synsets.txt").path,
                           "/nonexistent/images"],
                          containing: "/nonexistent/images")
    }

    @Test("a wrong option", arguments: [["classify", "--colour", "x"], ["evaluate", "--threads", "0", "--weights", "w.net", "d"],
                                          ["classify", "--weights", "w.unknown", "x.JPEG"]])
    func wrongOption(arguments: [String]) throws {
        let output = try CommandRunner.run(arguments)
        #expect(output.status != 0)
        #expect(output.status < 128)
        #expect(output.errorLines.first?.hasPrefix("Error: ") == true, "stderr: \(output.stderr)")
    }

    @Test("compress and sweep refuse bad budgets and grids before any work", arguments: [
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz"], "exactly one of"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--target-bytes", "1000", "--target-ratio", "10"], "exactly one of"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--target-bytes", "-5"], "--target-bytes"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--target-ratio", "0.5"], "--target-ratio"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--max-disagreement", "150"], "--max-disagreement"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--target-bytes", "9", "--densities", "1,1.5"], "--densities"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--target-bytes", "9", "--bits-grid", "0"], "--bits-grid"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--layers", "conv1=2:4"], "--layers"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--bits", "4", "--rate-weight", "-1"], "--rate-weight"),
        (["compress", "m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--bits", "4", "--optimizer", "lbfgs"], "--optimizer"),
        (["compress", "/nonexistent/m.sqz", "--calibration", "c", "-o", "/tmp/x.sqz", "--bits", "4"], "/nonexistent/m.sqz"),
        (["sweep", "m.sqz", "--calibration", "c", "--eval", "e", "--budgets", "10,x"], "--budgets"),
        (["sweep", "m.sqz", "--calibration", "c", "--eval", "e", "--budgets", "10", "--methods", "random"], "--methods"),
    ])
    func compressOptions(arguments: [String], expected: String) throws {
        try expectFailure(arguments, containing: expected)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/x.sqz"))
    }
}
