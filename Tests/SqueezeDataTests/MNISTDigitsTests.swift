import Foundation
import Testing
import TestSupport

import SqueezeData

/// Compresses `bytes` with the system's `gzip`, so the decoder is checked
/// against an independent encoder.
private func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let directory = try SharedData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("data")
    try Data(bytes).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", "-9", file.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return [UInt8](try Data(contentsOf: directory.appendingPathComponent("data.gz")))
}

/// Writes `bytes` to a new file in a fresh temporary directory.
private func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
    let url = try SharedData.temporaryDirectory().appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// A valid CSV line: pixels `i % 256` shifted by `label`, then the label.
private func csvLine(label: Int) -> String {
    ((0..<784).map { String(($0 + label) % 256) } + [String(label)]).joined(separator: ",")
}

/// The error a throwing call produced, if it was a ``DataError``.
private func dataError(_ body: () throws(DataError) -> Void) -> DataError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

@Suite("MNIST digits")
struct MNISTDigitsTests {
    @Test("the shared file holds 4000 digits, 400 of each class")
    func sharedFile() throws {
        let digits = try MNISTDigits(contentsOf: SharedData.mnistDigits)
        #expect(digits.count == 4000)
        #expect(digits.pixels.count == 4000 * 784)
        #expect(digits.sampleShape == [1, 28, 28])
        #expect(digits.sampleCount == 784)
        #expect(digits.classCount == 10)
        #expect(digits.path == SharedData.mnistDigits.path)
        var perClass = [Int](repeating: 0, count: 10)
        for i in 0..<digits.count { perClass[digits.label(at: i)] += 1 }
        #expect(perClass == [Int](repeating: 400, count: 10))
        // Real digits: mostly background, some full-intensity strokes.
        #expect(digits.pixels.max() == 255)
        #expect(digits.pixels.min() == 0)
    }

    @Test("load scales pixels by 1/256 and ignores the generator")
    func loadScales() throws {
        let digits = try MNISTDigits(contentsOf: SharedData.mnistDigits)
        for index in [0, 1234, 3999] {
            let sample = try digits.load(index)
            let expected = digits.pixels[(index * 784)..<((index + 1) * 784)].map { Float($0) * MNISTDigits.scale }
            #expect(sample == expected)
            #expect(sample.allSatisfy { (0..<1).contains($0) })

            var random: SeededGenerator? = SeededGenerator(seed: 7)
            var augmented = [Float](repeating: -1, count: 784)
            try augmented.withUnsafeMutableBufferPointer { (b) throws(DataError) in
                try digits.load(index, random: &random, into: b)
            }
            #expect(augmented == expected)
        }
        #expect(MNISTDigits.scale == Float(1) / 256)
    }

    @Test("holding out every fifth digit gives disjoint 3200/800 parts, 80 test digits per class")
    func split() throws {
        let digits = try MNISTDigits(contentsOf: SharedData.mnistDigits)
        let (train, test) = digits.split(holdingOutEvery: 5)
        #expect(train.count == 3200)
        #expect(test.count == 800)
        #expect(Set(train.indices).isDisjoint(with: test.indices))
        #expect(Set(train.indices).union(test.indices) == Set(0..<4000))
        #expect(test.classCount == 10)
        var perClass = [Int](repeating: 0, count: 10)
        for i in 0..<test.count { perClass[test.label(at: i)] += 1 }
        #expect(perClass == [Int](repeating: 80, count: 10))
        #expect(try test.load(0) == digits.load(4))
    }

    @Test("a plain CSV with CRLF and a blank line loads the same as its gzip")
    func plainAndGzip() throws {
        let text = [csvLine(label: 3), csvLine(label: 0), "", csvLine(label: 9)].joined(separator: "\r\n") + "\r\n"
        let plain = Array(text.utf8)
        let plainURL = try temporaryFile("digits.csv", plain)
        // The extension lies on purpose: detection is by content.
        let gzipURL = try temporaryFile("digits.csv", try gzipped(plain))

        let fromPlain = try MNISTDigits(contentsOf: plainURL)
        let fromGzip = try MNISTDigits(contentsOf: gzipURL)
        #expect(fromPlain.labels == [3, 0, 9])
        #expect(fromPlain.pixels == fromGzip.pixels)
        #expect(fromPlain.labels == fromGzip.labels)
        #expect(fromPlain.pixels[784 + 300] == 300 % 256)

        let inMemory = MNISTDigits(pixels: fromPlain.pixels, labels: fromPlain.labels)
        #expect(inMemory.path == "")
        #expect(try inMemory.load(2) == fromPlain.load(2))
    }

    @Test("blanks around fields, signs and leading zeros are accepted")
    func lenientNumbers() throws {
        let odd = ([" 0007", "+12\t", "-0"] + [String](repeating: "255", count: 781) + [" 0004 "]).joined(separator: ",")
        let text = "\u{FEFF}" + csvLine(label: 5) + "\n \t\n" + odd
        let digits = try MNISTDigits(contentsOf: try temporaryFile("odd.csv", Array(text.utf8)))
        #expect(digits.labels == [5, 4])
        #expect(Array(digits.pixels[784..<788]) == [7, 12, 0, 255])
        #expect(digits.pixels.count == 2 * 784)
    }

    @Test("the shared file decompresses like gzip -d does")
    func gzipMatchesSystemGzip() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        #expect(Gzip.isGzip(compressed))
        let decompressed = try Gzip.decompress(compressed)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", SharedData.mnistDigits.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let reference = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(decompressed == [UInt8](reference))
    }

    @Test("concatenated gzip members decompress to the concatenated data")
    func concatenatedMembers() throws {
        let first = Array("hello, ".utf8), second = Array("world\n".utf8)
        let joined = try gzipped(first) + gzipped(second)
        #expect(try Gzip.decompress(joined) == first + second)
        #expect(try Gzip.decompress(try gzipped([])) == [])
        #expect(!Gzip.isGzip(first))
        #expect(!Gzip.isGzip([0x1F]))
    }

    @Test("bad gzip data throws a one-line GzipError")
    func badGzip() throws {
        let good = try gzipped(Array(csvLine(label: 1).utf8))
        let cases: [[UInt8]] = [
            [],
            Array("plain".utf8),
            Array(good.prefix(good.count / 2)),
            Array(good.dropLast(3)),
            good + [0x42, 0x42],
            {
                var corrupt = good
                corrupt[12] ^= 0xFF
                corrupt[20] ^= 0xFF
                return corrupt
            }(),
        ]
        for bytes in cases {
            #expect(throws: GzipError.self) { try Gzip.decompress(bytes) }
            do {
                _ = try Gzip.decompress(bytes)
            } catch {
                #expect(!error.description.isEmpty && !error.description.contains("\n"))
            }
        }
        // Trailing zero padding is what some tools leave; gzip -d accepts it.
        #expect(try Gzip.decompress(good + [0, 0, 0, 0]).count == csvLine(label: 1).utf8.count)
    }

    /// A malformed line and what its error must say.
    struct MalformedCase: Sendable, CustomTestStringConvertible {
        var name: String
        var line: String
        var reason: String
        var testDescription: String { name }
    }

    static let malformedCases: [MalformedCase] = [
        MalformedCase(
            name: "too few fields", line: (0..<12).map(String.init).joined(separator: ","),
            reason: "784 pixels and a label expected, found 12 fields"),
        MalformedCase(
            name: "too many fields", line: csvLine(label: 2) + ",0",
            reason: "784 pixels and a label expected, found 786 fields"),
        MalformedCase(
            name: "pixel out of range",
            line: (["300"] + [String](repeating: "0", count: 783) + ["1"]).joined(separator: ","),
            reason: "pixel 300 (field 1) is outside 0...255"),
        MalformedCase(
            name: "negative pixel",
            line: ([String](repeating: "0", count: 9) + ["-1"] + [String](repeating: "0", count: 774) + ["1"])
                .joined(separator: ","),
            reason: "pixel -1 (field 10) is outside 0...255"),
        MalformedCase(
            name: "label out of range",
            line: ([String](repeating: "7", count: 784) + ["11"]).joined(separator: ","),
            reason: "label 11 is outside 0...9"),
        MalformedCase(
            name: "not a number",
            line: ([String](repeating: "7", count: 5) + ["ab"] + [String](repeating: "7", count: 778) + ["1"])
                .joined(separator: ","),
            reason: "pixel 6 is not an integer: \"ab\""),
        MalformedCase(
            name: "empty field",
            line: ([String](repeating: "7", count: 784) + [""]).joined(separator: ","),
            reason: "the label is not an integer: \"\""),
    ]

    @Test("a malformed line is reported with its number and reason", arguments: malformedCases)
    func malformed(_ bad: MalformedCase) throws {
        // Two good lines and a blank one precede it, so it is line 4.
        let text = [csvLine(label: 0), "", csvLine(label: 1), bad.line, csvLine(label: 2)].joined(separator: "\n")
        let url = try temporaryFile("bad.csv", Array(text.utf8))
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: url) }
        #expect(error == .malformed(path: url.path, line: 4, reason: bad.reason))
        #expect(error?.description == "\(url.path):4: \(bad.reason)")
    }

    @Test("an empty or blank file is an empty set")
    func empty() throws {
        for contents in ["", "\n\r\n  \n"] {
            let url = try temporaryFile("empty.csv", Array(contents.utf8))
            let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: url) }
            #expect(error == .empty(path: url.path))
        }
        let gzipURL = try temporaryFile("empty.csv.gz", try gzipped([]))
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: gzipURL) }
        #expect(error == .empty(path: gzipURL.path))
    }

    @Test("a missing file is reported as not found")
    func missing() throws {
        let url = try SharedData.temporaryDirectory().appendingPathComponent("nope.csv.gz")
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: url) }
        #expect(error == .fileNotFound(path: url.path))
    }

    @Test("a directory is unreadable, not a crash")
    func directory() throws {
        let url = try SharedData.temporaryDirectory()
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: url) }
        #expect(error == .unreadable(path: url.path, reason: "is a directory"))
    }

    @Test("a truncated gzip file is unreadable")
    func truncatedGzip() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        let url = try temporaryFile("cut.csv.gz", Array(compressed.prefix(compressed.count / 2)))
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: url) }
        guard case .unreadable(let path, let reason)? = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("truncated"))
        #expect(error?.description.contains("\n") == false)
    }
}
