import Foundation
import TestSupport
import Testing

@Suite("bench and the compressed engine from the command line")
struct BenchCommandTests {
    static func importedSqueezeNet() throws -> URL {
        let dir = try SharedData.temporaryDirectory()
        let sqz = dir.appendingPathComponent("squeezenet.sqz")
        let imported = try CommandRunner.run(["import", "--prototxt", SharedData.squeezeNetPrototxt.path,
                                              "--weights", SharedData.squeezeNetWeights.path, "-o", sqz.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        return sqz
    }

    @Test("bench --json gives the latency, load and resident-weight figures")
    func benchJSON() throws {
        let sqz = try Self.importedSqueezeNet()
        let run = try CommandRunner.run(["bench", sqz.path, "--iterations", "3", "--warmup", "1", "--threads", "2", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["engine"] as? String == "compressed")
        for key in ["median_ms", "p90_ms", "load_ms", "images_per_second"] {
            #expect((object[key] as? Double ?? 0) > 0, "\(key)")
        }
        let resident = try #require(object["weight_bytes_resident"] as? Int)
        #expect(resident > 400_000 && resident <= 1_200_000)

        let dense = try CommandRunner.run(["bench", sqz.path, "--engine", "dense", "--iterations", "2", "--warmup", "0", "--json"])
        #expect(dense.status == 0, "\(dense.stderr)")
        let denseObject = try #require(try JSONSerialization.jsonObject(with: Data(dense.stdout.utf8)) as? [String: Any])
        #expect(denseObject["weight_bytes_resident"] as? Int == 4 * (1_244_448 + 3_976))
    }

    @Test("a truncated or corrupted .sqz and bad options get one line and exit 1")
    func refused() throws {
        let sqz = try Self.importedSqueezeNet()
        let bytes = try Data(contentsOf: sqz)
        let dir = sqz.deletingLastPathComponent()
        let truncated = dir.appendingPathComponent("truncated.sqz")
        try bytes.prefix(bytes.count - 100).write(to: truncated)
        var flipped = bytes
        flipped[bytes.count - 50] ^= 0x01
        let corrupt = dir.appendingPathComponent("corrupt.sqz")
        try flipped.write(to: corrupt)
        let cases: [([String], String)] = [
            (["bench", truncated.path, "--iterations", "1"], "truncated"),
            (["bench", corrupt.path, "--iterations", "1"], "checksum mismatch"),
            (["bench", dir.appendingPathComponent("missing.sqz").path], "no such file"),
            (["classify", "--weights", truncated.path, "--engine", "compressed",
              SharedData.imageNetSample.appendingPathComponent("n01440764_tench.JPEG").path], "truncated"),
        ]
        for (arguments, message) in cases {
            let run = try CommandRunner.run(arguments)
            #expect(run.status == 1, "\(arguments)")
            #expect(run.errorLines.count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        // Option errors are argument-parser usage errors: "Error: ..." first, then the usage.
        for option in ["--batch", "--threads", "--iterations"] {
            let run = try CommandRunner.run(["bench", sqz.path, option, "0"])
            #expect(run.status != 0 && run.status < 128)
            #expect(run.errorLines.first?.hasPrefix("Error: \(option) must be") == true, "\(run.stderr)")
        }
    }

    @Test("classify gives the same classes and probabilities with either engine")
    func enginesAgree() throws {
        let sqz = try Self.importedSqueezeNet()
        let images = ["n01440764_tench.JPEG", "n01484850_great_white_shark.JPEG", "n01494475_hammerhead.JPEG"]
            .map { SharedData.imageNetSample.appendingPathComponent($0).path }
        var results: [[[String: Any]]] = []
        for engine in ["dense", "compressed"] {
            let run = try CommandRunner.run(["classify", "--weights", sqz.path, "--engine", engine, "--json", "--top", "3"] + images)
            #expect(run.status == 0, "\(run.stderr)")
            results.append(try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]))
        }
        for (dense, compressed) in zip(results[0], results[1]) {
            let a = try #require(dense["top"] as? [[String: Any]]), b = try #require(compressed["top"] as? [[String: Any]])
            #expect(a.map { $0["class"] as? Int } == b.map { $0["class"] as? Int })
            for (x, y) in zip(a, b) {
                #expect(abs((x["probability"] as? Double ?? 0) - (y["probability"] as? Double ?? 1)) < 1e-3)
            }
        }
    }
}
