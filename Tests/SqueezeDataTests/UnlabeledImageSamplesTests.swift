import Foundation
import SqueezeImage
import Testing
import TestSupport

import SqueezeData
import SqueezeModel

@Suite("Unlabelled image folders")
struct UnlabeledImageSamplesTests {
    @Test("the calibration folder lists its 1,681 JPEGs in name order, without labels")
    func listing() throws {
        let set = try UnlabeledImageSamples(directory: SharedData.calibration)
        #expect(set.count == 1681)
        #expect(set.classCount == 0)
        #expect(set.label(at: 0) == -1)
        #expect(set.files.first?.lastPathComponent == "calib_0001.jpg")
        #expect(set.files.map(\.lastPathComponent) == set.files.map(\.lastPathComponent).sorted())
        #expect(!set.files.contains { $0.lastPathComponent == "MANIFEST.tsv" })
    }

    @Test("loads use the preprocessing given (the model's), with and without augmentation")
    func loads() throws {
        let rgb = Preprocessing(resizeWidth: 183, resizeHeight: 183, cropWidth: 160, cropHeight: 160,
                                mean: .init(red: 128, green: 128, blue: 128), channelOrder: .rgb, resizeRule: .shorterSide,
                                channelScale: .init(red: 0.0078125, green: 0.0078125, blue: 0.0078125))
        let set = try UnlabeledImageSamples(directory: SharedData.calibration, preprocessing: rgb)
        #expect(set.sampleShape == [3, 160, 160])
        #expect(try set.load(3) == rgb.preprocess(jpegAt: set.files[3]))
        var random: SeededGenerator? = SeededGenerator(seed: 5)
        var augmented = [Float](repeating: .nan, count: set.sampleCount)
        try augmented.withUnsafeMutableBufferPointer { (b) throws(DataError) in try set.load(3, random: &random, into: b) }
        #expect(augmented.allSatisfy { $0.isFinite && abs($0) <= 1.01 })
    }

    @Test("a missing folder and a folder without JPEGs are refused")
    func refusals() throws {
        #expect(throws: DataError.self) { try UnlabeledImageSamples(directory: URL(fileURLWithPath: "/nonexistent/calibration")) }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("unlabelled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try Data("not an image".utf8).write(to: empty.appendingPathComponent("notes.txt"))
        #expect(throws: DataError.empty(path: empty.path)) { try UnlabeledImageSamples(directory: empty) }
    }
}
