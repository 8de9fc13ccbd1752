import Foundation
import SqueezeImage
import TestSupport
import Testing

@Suite("Synsets")
struct SynsetsTests {
    let url = SharedData.imageNetSample.appendingPathComponent("synsets.txt")

    @Test("the ImageNet list: 1000 classes in line order")
    func imageNet() throws {
        let synsets = try Synsets(contentsOf: url)
        #expect(synsets.count == 1000)
        #expect(synsets.index(of: "n01440764") == 0)
        #expect(synsets[0].id == "n01440764" && synsets[0].name == "tench")
        #expect(synsets.index(of: "n01484850") == 2)
        #expect(synsets.entry(for: "n01484850")?.name == "great_white_shark")
        #expect(synsets.index(of: "n99999999") == nil)
        #expect(synsets.map(\.index) == Array(0..<1000))
    }

    @Test("names may contain spaces and commas; CRLF and trailing blank lines are accepted")
    func parsing() throws {
        let synsets = try Synsets(text: "n01440764 tench, Tinca tinca\r\nn01443537\tgoldfish\nn01484850\n\n\n")
        #expect(synsets.count == 3)
        #expect(synsets[0].name == "tench, Tinca tinca")
        #expect(synsets[1].name == "goldfish")
        #expect(synsets[2].name == "")
        #expect(synsets.index(of: "n01484850") == 2)
    }

    @Test("errors", arguments: [
        ("", ImageError.emptySynsets(file: "s.txt")),
        ("\n \n", .emptySynsets(file: "s.txt")),
        ("n1 a\n\nn2 b\n", .malformedSynsetLine(file: "s.txt", line: 2)),
        ("n1 a\nn2 b\nn1 c\n", .duplicateSynset(file: "s.txt", id: "n1", line: 3, firstLine: 1)),
    ])
    func errors(text: String, expected: ImageError) {
        #expect(throws: expected) { try Synsets(text: text, file: "s.txt") }
    }

    @Test("a missing or empty file")
    func files() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/synsets.txt")
        #expect(throws: ImageError.fileNotFound(path: missing.path)) { try Synsets(contentsOf: missing) }
        try withTemporaryDirectory { directory in
            let empty = directory.appendingPathComponent("synsets.txt")
            try Data().write(to: empty)
            #expect(throws: ImageError.emptySynsets(file: empty.path)) { try Synsets(contentsOf: empty) }
        }
    }
}

@Suite("Labelled image folders")
struct LabeledImageSetTests {
    @Test("the ImageNet sample: 500 images, sorted, labelled by synset")
    func imageNetSample() throws {
        let synsets = try Synsets(contentsOf: SharedData.imageNetSample.appendingPathComponent("synsets.txt"))
        let set = try LabeledImageSet(directory: SharedData.imageNetSample, synsets: synsets)
        #expect(set.count == 500)
        #expect(set[0].fileName == "n01440764_tench.JPEG" && set[0].label == 0 && set[0].synsetID == "n01440764")
        #expect(set.map(\.fileName) == set.map(\.fileName).sorted())
        // One image for each even class index.
        #expect(set.map(\.label) == Array(stride(from: 0, to: 1000, by: 2)))
    }

    let synsets = try! Synsets(text: "n01440764 tench\nn01443537 goldfish\nn01484850 great_white_shark\n")

    /// Creates empty files with these names in a temporary directory.
    func listing(_ names: [String]) throws -> Result<LabeledImageSet, ImageError> {
        try withTemporaryDirectory { directory in
            for name in names {
                try Data().write(to: directory.appendingPathComponent(name))
            }
            return Result { () throws(ImageError) in try LabeledImageSet(directory: directory, synsets: synsets) }
        }
    }

    @Test("extensions are matched case-insensitively and other files are ignored")
    func extensions() throws {
        let set = try listing([
            "n01484850_b.jpeg", "n01440764_a.JPEG", "n01443537_c.Jpg", "synsets.txt", "n01440764_d.png", ".hidden.jpg",
        ]).get()
        #expect(set.map(\.fileName) == ["n01440764_a.JPEG", "n01443537_c.Jpg", "n01484850_b.jpeg"])
        #expect(set.map(\.label) == [0, 1, 2])
    }

    @Test("an unknown synset prefix names the file")
    func unknownSynset() throws {
        guard case .failure(let error) = try listing(["n01440764_a.JPEG", "n09999999_x.JPEG"]),
            case .unknownSynset(let file, let id) = error
        else { Issue.record("expected unknownSynset"); return }
        #expect(id == "n09999999")
        #expect(file.hasSuffix("/n09999999_x.JPEG"))
        #expect(error.description.contains("n09999999_x.JPEG"))
    }

    @Test("an image without a synset prefix names the file")
    func missingPrefix() throws {
        guard case .failure(let error) = try listing(["holiday.jpg"]), case .missingSynsetPrefix(let file) = error
        else { Issue.record("expected missingSynsetPrefix"); return }
        #expect(file.hasSuffix("/holiday.jpg"))
    }

    @Test("a directory without images")
    func noImages() throws {
        guard case .failure(let error) = try listing(["synsets.txt", "notes.md"]), case .noImages = error
        else { Issue.record("expected noImages"); return }
        #expect(error.description.hasSuffix("no <synset>_*.JPEG images in this directory"))
    }

    @Test("a missing directory, and a file instead of a directory")
    func notADirectory() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        #expect(throws: ImageError.fileNotFound(path: missing.path)) {
            try LabeledImageSet(directory: missing, synsets: synsets)
        }
        let file = SharedData.imageNetSample.appendingPathComponent("synsets.txt")
        #expect(throws: ImageError.notADirectory(path: file.path)) {
            try LabeledImageSet(directory: file, synsets: synsets)
        }
    }
}
