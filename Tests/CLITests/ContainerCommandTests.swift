import Foundation
import TestSupport
import Testing

@Suite("import, report and decode")
struct ContainerCommandTests {
    @Test("import writes a Huffman .sqz under 560,000 bytes; report --json has the figures; a corrupt copy is refused")
    func importReport() throws {
        let dir = try SharedData.temporaryDirectory()
        let sqz = dir.appendingPathComponent("squeezenet.sqz")
        let imported = try CommandRunner.run(["import", "--prototxt", SharedData.squeezeNetPrototxt.path,
                                              "--weights", SharedData.squeezeNetWeights.path, "-o", sqz.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: sqz.path)[.size] as? Int)
        #expect(size <= 560_000)

        let report = try CommandRunner.run(["report", sqz.path, "--json", "--alexnet", SharedData.alexNetPrototxt.path])
        #expect(report.status == 0, "\(report.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect(object["container_bytes"] as? Int == size)
        #expect(object["alexnet_dense_bytes"] as? Int == 4 * 60_965_224)
        #expect((object["ratio_vs_alexnet"] as? Double ?? 0) >= 435)
        #expect(object["entropy_bound_bytes"] is Int && object["dense_bytes"] is Int)
        #expect((object["layers"] as? [Any])?.count == 26)

        var bytes = try Data(contentsOf: sqz)
        bytes[bytes.count / 2] ^= 0x40
        let corrupt = dir.appendingPathComponent("corrupt.sqz")
        try bytes.write(to: corrupt)
        let refused = try CommandRunner.run(["classify", "--weights", corrupt.path,
                                             SharedData.imageNetSample.appendingPathComponent("n01440764_tench.JPEG").path])
        #expect(refused.status == 1)
        #expect(refused.errorLines.count == 1)
        #expect(refused.stderr.contains("checksum mismatch in section"))

        let raw = dir.appendingPathComponent("raw.sqz")
        let decoded = try CommandRunner.run(["decode", sqz.path, "-o", raw.path])
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout.contains("(raw)"))
    }
}
