import Foundation
import TestSupport
import Testing

@Suite("classify and evaluate on real images")
struct ClassifyEvaluateTests {
    static let model = ["--prototxt", SharedData.squeezeNetPrototxt.path, "--weights", SharedData.squeezeNetWeights.path]

    @Test("classify prints the top-5 with probabilities")
    func classify() throws {
        let image = SharedData.imageNetSample.appendingPathComponent("n01440764_tench.JPEG").path
        let output = try CommandRunner.run(["classify"] + Self.model + [image])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.first.map(String.init) == image)
        #expect(lines[1].contains("n01440764 tench"))
        #expect(lines[1].contains("%"))
    }

    @Test("evaluate --json gives one object with images, top1, top5, seconds")
    func evaluateJSON() throws {
        let dir = try SharedData.temporaryDirectory()
        let names = ["n01440764_tench", "n01484850_great_white_shark", "n01494475_hammerhead"]
        for name in names {
            try FileManager.default.createSymbolicLink(
                at: dir.appendingPathComponent(name + ".JPEG"),
                withDestinationURL: SharedData.imageNetSample.appendingPathComponent(name + ".JPEG"))
        }
        let synsets = SharedData.imageNetSample.appendingPathComponent("synsets.txt").path
        let output = try CommandRunner.run(["evaluate"] + Self.model + ["--synsets", synsets, "--json", dir.path])
        #expect(output.status == 0, "\(output.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        #expect(object?["images"] as? Int == 3)
        #expect((object?["top1"] as? Double).map { (0...1).contains($0) } == true)
        #expect((object?["top5"] as? Double).map { $0 >= (object?["top1"] as? Double ?? 2) } == true)
        #expect(object?["seconds"] is Double)
        #expect(Set(object?.keys.map { $0 } ?? []) == ["images", "top1", "top5", "seconds"])
    }
}
