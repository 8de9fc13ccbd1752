import Foundation
import SqueezeImage
import Testing
import TestSupport

import SqueezeData
import SqueezeModel

@Suite("Image folder samples")
struct ImageFolderSamplesTests {
    /// Loads sample `index` with `random` into a new array.
    private func load(_ set: ImageFolderSamples, _ index: Int, seed: UInt64?) throws(DataError) -> [Float] {
        var random = seed.map { SeededGenerator(seed: $0) }
        var output = [Float](repeating: .nan, count: set.sampleCount)
        try output.withUnsafeMutableBufferPointer { (b) throws(DataError) in try set.load(index, random: &random, into: b) }
        return output
    }

    @Test("the ImageNet sample lists 500 images over 1000 classes")
    func listing() throws {
        let set = try ImageFolderSamples(directory: SharedData.imageNetSample)
        #expect(set.count == 500)
        #expect(set.classCount == 1000)
        #expect(set.sampleShape == [3, 227, 227])
        #expect(set.sampleCount == 3 * 227 * 227)
        #expect(set.label(at: 0) == set.synsets.index(of: set.images[0].synsetID))
        #expect(set.images[0].fileName == "n01440764_tench.JPEG")
        #expect(set.label(at: 0) == 0)
    }

    @Test("a load without a generator is the evaluation-time preprocessing")
    func deterministicLoad() throws {
        let set = try ImageFolderSamples(directory: SharedData.imageNetSample)
        for index in [0, 321] {
            let expected = try Preprocessing.caffeImageNet.preprocess(jpegAt: set.images[index].url)
            #expect(try set.load(index) == expected)
        }
    }

    @Test("augmented loads are fixed by the seed and vary across seeds")
    func augmentedLoads() throws {
        let set = try ImageFolderSamples(directory: SharedData.imageNetSample)
        let index = 7
        let first = try load(set, index, seed: 42)
        let again = try load(set, index, seed: 42)
        #expect(first == again)
        #expect(first.allSatisfy { $0.isFinite })

        var differs = false
        for seed: UInt64 in 1...4 where try load(set, index, seed: seed) != first { differs = true }
        #expect(differs)

        // The crop comes first, then the mirror bit, from the caller's generator,
        // which is advanced.
        var reference = SeededGenerator(seed: 42)
        let crop = Preprocessing.caffeImageNet.randomCrop(using: &reference)
        let mirror = reference.next() >> 63 == 1
        let expected = try Preprocessing.caffeImageNet.preprocess(jpegAt: set.images[index].url, crop: crop, mirror: mirror)
        #expect(first == expected)

        var random: SeededGenerator? = SeededGenerator(seed: 42)
        var output = [Float](repeating: 0, count: set.sampleCount)
        try output.withUnsafeMutableBufferPointer { (b) throws(DataError) in try set.load(index, random: &random, into: b) }
        #expect(random?.next() == reference.next())
    }

    @Test("missing folders, missing synsets, empty folders and bad JPEGs give DataErrors")
    func errors() throws {
        let root = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }

        func error(_ body: () throws(DataError) -> Void) -> DataError? {
            do {
                try body()
                return nil
            } catch {
                return error
            }
        }

        let missing = root.appendingPathComponent("absent")
        #expect(error { () throws(DataError) in _ = try ImageFolderSamples(directory: missing) } == .fileNotFound(path: missing.path))

        let synsets = root.appendingPathComponent("synsets.txt")
        #expect(error { () throws(DataError) in _ = try ImageFolderSamples(directory: root) } == .fileNotFound(path: synsets.path))

        try Data("n01440764 tench\nn01443537 goldfish\n".utf8).write(to: synsets)
        #expect(error { () throws(DataError) in _ = try ImageFolderSamples(directory: root) } == .empty(path: root.path))

        let bad = root.appendingPathComponent("n01443537_goldfish.JPEG")
        try Data("not a jpeg".utf8).write(to: bad)
        let set = try ImageFolderSamples(directory: root)
        #expect(set.count == 1 && set.classCount == 2 && set.label(at: 0) == 1)
        let loadError = error { () throws(DataError) in _ = try set.load(0) }
        #expect(loadError == .image(ImageError.notJPEG(file: bad.path).description))

        try Data("n09999999_unknown.JPEG".utf8).write(to: root.appendingPathComponent("n09999999_x.JPEG"))
        guard case .image(let message)? = error({ () throws(DataError) in _ = try ImageFolderSamples(directory: root) }) else {
            Issue.record("an unknown synset prefix must be an image error")
            return
        }
        #expect(message.contains("n09999999"))
    }
}
