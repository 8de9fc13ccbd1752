import Foundation
import Testing
import TestSupport

@_spi(Testing) import SqueezeData
import SqueezeModel

/// Compresses `bytes` with the system's `gzip`, so the decoder is checked
/// against an independent encoder.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
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
func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
    let url = try SharedData.temporaryDirectory().appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// A valid CSV line: pixels `i % 256` shifted by `label`, then the label.
func csvLine(label: Int) -> String {
    ((0..<784).map { String(($0 + label) % 256) } + [String(label)]).joined(separator: ",")
}

/// The error a throwing call produced, if it was a ``DataError``.
func dataError(_ body: () throws(DataError) -> Void) -> DataError? {
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

    // MARK: Streaming and hostile input

    /// Text exercising every line form: a byte order mark, CRLF and LF, blank
    /// and blank-looking lines, lenient numbers, no newline at the end.
    static let craftedText: [UInt8] = {
        let odd = ([" 0007", "+12\t", "-0"] + [String](repeating: "255", count: 781) + [" 0004 "]).joined(separator: ",")
        let lines = ["\u{FEFF}" + csvLine(label: 5), "", " \t", odd, csvLine(label: 9) + "\r", "\r", csvLine(label: 0)]
        return Array(lines.joined(separator: "\n").utf8)
    }()

    @Test("text cut into chunks of any size parses as a whole", arguments: [1, 2, 3, 4, 5, 17, 784, 1569, 1570, 1571, 4096])
    func chunkBoundaries(chunkSize: Int) throws {
        let whole = try MNISTDigits(bytes: Self.craftedText, source: "crafted")
        #expect(whole.labels == [5, 4, 9, 0])
        let compressed = try gzipped(Self.craftedText)
        for bytes in [Self.craftedText, compressed] {
            let chunked = try MNISTDigits(
                bytes: bytes, source: "crafted", memoryLimit: .current, bounds: .standard, chunkSize: chunkSize)
            #expect(chunked == whole)
        }
    }

    @Test("the shared file parses the same whole, streamed from gzip, and in small pieces")
    func streamingEqualsWhole() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        let text = try Gzip.decompress(compressed)
        let whole = try MNISTDigits(bytes: text, source: SharedData.mnistDigits.path)
        #expect(whole.count == 4000)
        #expect(try MNISTDigits(contentsOf: SharedData.mnistDigits) == whole)
        #expect(try MNISTDigits(bytes: compressed, source: SharedData.mnistDigits.path) == whole)
        for chunkSize in [1, 1000, 4097, 1 << 16] {
            for bytes in chunkSize == 1 ? [text] : [text, compressed] {
                let chunked = try MNISTDigits(
                    bytes: bytes, source: SharedData.mnistDigits.path, memoryLimit: .current, bounds: .standard,
                    chunkSize: chunkSize)
                #expect(chunked == whole, "chunks of \(chunkSize), \(bytes.count) input bytes")
            }
        }
    }

    /// Lines a bomb repeats: one with varied pixels (about 200:1 at level 9)
    /// and a blank image (about 560:1).
    static let bombLines = [csvLine(label: 3), ([String](repeating: "0", count: 784) + ["5"]).joined(separator: ",")]

    @Test("a gzip bomb of one valid digit line repeated is refused with one line once it passes 64 MiB", arguments: bombLines)
    func gzipBomb(line: String) throws {
        // 80 MiB of text, past the 64 MiB floor, in at most about 430 KB.
        let line = Array((line + "\n").utf8)
        let bomb = gzipRepeating(line, times: (80 << 20) / line.count)
        #expect(bomb.count < 1 << 20)
        let url = try temporaryFile("bomb.csv.gz", bomb)
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(contentsOf: url) }
        guard case .tooLarge(let path, let reason)? = error else {
            Issue.record("expected .tooLarge, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("gzip data expands"))
        #expect(reason.contains("more than the 100:1 digit data can plausibly reach"))
        #expect(error?.description.hasPrefix(url.path + ": ") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test("a bomb of concatenated members is refused the same way")
    func concatenatedBomb() throws {
        let member = gzipRepeating(Array((csvLine(label: 8) + "\n").utf8), times: 640)  // 1 MB of text each
        let bomb = [UInt8]([[UInt8]](repeating: member, count: 80).joined())
        let error = dataError { () throws(DataError) in _ = try MNISTDigits(bytes: bomb, source: "members.csv.gz") }
        guard case .tooLarge("members.csv.gz", let reason)? = error else {
            Issue.record("expected .tooLarge, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("gzip data expands"))
    }

    @Test("a file at the expansion bound is read; past the floor and the bound it is refused")
    func expansionBound() throws {
        let line = Array((csvLine(label: 6) + "\n").utf8)
        let compressed = gzipRepeating(line, times: 100)
        let ratio = 100 * line.count / compressed.count
        // Under the floor, any ratio is fine.
        let small = MNISTDigits.Bounds(maximumExpansion: 2, expansionFloor: 100 * line.count)
        #expect(try MNISTDigits(bytes: compressed, source: "x", memoryLimit: .current, bounds: small, chunkSize: 1000).count == 100)
        // Past the floor, a bound above the real ratio passes and one below it refuses.
        let generous = MNISTDigits.Bounds(maximumExpansion: 2 * ratio, expansionFloor: 10 * line.count)
        #expect(try MNISTDigits(bytes: compressed, source: "x", memoryLimit: .current, bounds: generous, chunkSize: 1000).count == 100)
        let strict = MNISTDigits.Bounds(maximumExpansion: ratio / 4, expansionFloor: 10 * line.count)
        let error = dataError { () throws(DataError) in
            _ = try MNISTDigits(bytes: compressed, source: "x", memoryLimit: .current, bounds: strict, chunkSize: 1000)
        }
        guard case .tooLarge("x", let reason)? = error else {
            Issue.record("expected .tooLarge, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("more than the \(ratio / 4):1"))
    }

    @Test("the real file's expansion is far below the bound")
    func realRatio() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        let text = try Gzip.decompress(compressed)
        #expect(text.count / compressed.count < MNISTDigits.maximumExpansion / 10)
        #expect(MNISTDigits.maximumTextSize == 4_096_000_000)
    }

    @Test("more digits than the bound allows are refused, naming the line")
    func tooManyDigits() throws {
        let text = Array((0..<5).map { csvLine(label: $0) }.joined(separator: "\n").utf8)
        let bounds = MNISTDigits.Bounds(maximumCount: 4)
        for bytes in [text, try gzipped(text)] {
            let error = dataError { () throws(DataError) in
                _ = try MNISTDigits(bytes: bytes, source: "five.csv", memoryLimit: .current, bounds: bounds, chunkSize: nil)
            }
            #expect(error == .tooLarge(path: "five.csv", reason: "more than 4 digits (line 5)"))
            #expect(error?.description == "five.csv: refused: more than 4 digits (line 5)")
        }
        let four = MNISTDigits.Bounds(maximumCount: 5)
        #expect(try MNISTDigits(bytes: text, source: "five.csv", memoryLimit: .current, bounds: four, chunkSize: 7).count == 5)
    }

    @Test("more text than the bound allows is refused before it is parsed")
    func tooMuchText() throws {
        let text = Array((0..<3).map { csvLine(label: $0) }.joined(separator: "\n").utf8)
        let bounds = MNISTDigits.Bounds(maximumTextSize: text.count - 1)
        for bytes in [text, try gzipped(text)] {
            let error = dataError { () throws(DataError) in
                _ = try MNISTDigits(bytes: bytes, source: "t.csv", memoryLimit: .current, bounds: bounds, chunkSize: nil)
            }
            guard case .tooLarge("t.csv", let reason)? = error else {
                Issue.record("expected .tooLarge, got \(String(describing: error))")
                continue
            }
            #expect(reason.hasPrefix("more than \(ByteCount.describe(text.count - 1)) of text"))
        }
    }

    @Test("a line longer than 65,536 bytes is malformed; one of exactly that length is read", arguments: [nil, 1000, 65_536, 70_000] as [Int?])
    func longLine(chunkSize: Int?) throws {
        // A valid line padded with blanks (which the careful parser allows) to a given length.
        func padded(_ length: Int) -> String {
            let line = csvLine(label: 1)
            return line + String(repeating: " ", count: length - line.utf8.count)
        }
        let fits = Array([csvLine(label: 0), padded(65_535) + "\r", csvLine(label: 2)].joined(separator: "\n").utf8)
        let digits = try MNISTDigits(bytes: fits, source: "fits.csv", memoryLimit: .current, bounds: .standard, chunkSize: chunkSize)
        #expect(digits.labels == [0, 1, 2])

        for last in [false, true] {
            // The long line as a middle line and as the last line without a newline.
            let lines = [csvLine(label: 0), "", padded(65_537)] + (last ? [] : [csvLine(label: 2)])
            let text = Array(lines.joined(separator: "\n").utf8)
            for bytes in [text, try gzipped(text)] {
                let error = dataError { () throws(DataError) in
                    _ = try MNISTDigits(bytes: bytes, source: "long.csv", memoryLimit: .current, bounds: .standard, chunkSize: chunkSize)
                }
                #expect(error == .malformed(path: "long.csv", line: 3, reason: "the line is longer than 65,536 bytes"))
            }
        }
        // A huge run with no newline at all stops at the bound, not at the end.
        let endless = [UInt8](repeating: UInt8(ascii: "7"), count: 1 << 20)
        let error = dataError { () throws(DataError) in
            _ = try MNISTDigits(bytes: endless, source: "endless", memoryLimit: .current, bounds: .standard, chunkSize: chunkSize)
        }
        #expect(error == .malformed(path: "endless", line: 1, reason: "the line is longer than 65,536 bytes"))
    }

    @Test("a memory limit smaller than the digits is a one-line resource error naming the file")
    func memoryLimitRefuses() throws {
        let url = SharedData.mnistDigits
        // The file (846,201 bytes) fits, the 4000 digits (3,140,000 bytes) do not.
        for limit in [1_000_000, 3_000_000] {
            let error = dataError { () throws(DataError) in
                _ = try MNISTDigits(contentsOf: url, memoryLimit: MemoryLimit(bytes: limit))
            }
            guard case .resource(let resource)? = error else {
                Issue.record("expected .resource, got \(String(describing: error))")
                continue
            }
            guard case .memoryLimit(let work, let needed, let refused, _, _) = resource else { continue }
            #expect(work == "reading digits from \(url.path)")
            #expect(needed > limit && refused == limit)
            #expect(error?.description.contains(url.path) == true)
            #expect(error?.description.contains("\n") == false)
        }
        // A limit smaller than the file refuses it before it is read.
        let error = dataError { () throws(DataError) in
            _ = try MNISTDigits(contentsOf: url, memoryLimit: MemoryLimit(bytes: 500_000))
        }
        guard case .resource(.memoryLimit(_, let needed, _, let largest, _))? = error else {
            Issue.record("expected .resource, got \(String(describing: error))")
            return
        }
        #expect(needed == 846_201 && largest == "the file")
        // Room for the file, the digits and the buffers is enough.
        #expect(try MNISTDigits(contentsOf: url, memoryLimit: MemoryLimit(bytes: 6_000_000)).count == 4000)
    }

    @Test("under any memory limit, reading either succeeds with the same digits or is refused for memory")
    func memoryLimitSweep() throws {
        let compressed = [UInt8](try Data(contentsOf: SharedData.mnistDigits))
        let text = try Gzip.decompress(compressed)
        let whole = try MNISTDigits(bytes: text, source: "d")
        // The last form's trailer (an empty member's) gives no size, so the arrays grow.
        for bytes in [text, compressed, try gzipped(text) + gzipped([])] {
            for megabytes in [3, 8, 11, 12, 24] {
                let limit = MemoryLimit(bytes: megabytes * 1_000_000)
                do throws(DataError) {
                    #expect(try MNISTDigits(bytes: bytes, source: "d", memoryLimit: limit) == whole)
                } catch {
                    guard case .resource(.memoryLimit(_, let needed, _, _, _)) = error else {
                        Issue.record("\(megabytes) MB: \(error)")
                        continue
                    }
                    #expect(needed > limit.bytes)
                }
            }
        }
    }

    @Test("random bytes never trap: each read succeeds or fails with one line naming the source")
    func randomBytes() throws {
        var random = SeededGenerator(seed: 0x19)
        let alphabet = Array("0123456789,,,,\n\r -+\t".utf8)
        let validLine = Array((csvLine(label: 4) + "\n").utf8)
        let validGzip = try gzipped(validLine + validLine)
        func randomBytes(_ count: Int, from: [UInt8]? = nil) -> [UInt8] {
            (0..<count).map { _ in from?.randomElement(using: &random) ?? UInt8.random(in: 0...255, using: &random) }
        }
        for round in 0..<300 {
            var bytes: [UInt8]
            switch round % 5 {
            case 0: bytes = randomBytes(Int.random(in: 0...3000, using: &random))
            case 1: bytes = randomBytes(Int.random(in: 0...6000, using: &random), from: alphabet)
            case 2:
                // Valid lines with a few bytes changed.
                bytes = validLine + validLine
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = alphabet.randomElement(using: &random)!
                }
            case 3:
                bytes = validGzip
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 2..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            default: bytes = [0x1F, 0x8B] + randomBytes(Int.random(in: 0...2000, using: &random))
            }
            let chunkSize = Int.random(in: 1...200, using: &random)
            let whole = Result { () throws(DataError) in try MNISTDigits(bytes: bytes, source: "fuzz") }
            let chunked = Result { () throws(DataError) in
                try MNISTDigits(bytes: bytes, source: "fuzz", memoryLimit: .current, bounds: .standard, chunkSize: chunkSize)
            }
            #expect(whole == chunked, "round \(round), chunks of \(chunkSize)")
            switch whole {
            case .success(let digits):
                #expect(digits.pixels.count == digits.count * 784 && digits.labels.allSatisfy { $0 <= 9 })
            case .failure(let error):
                #expect(error.description.hasPrefix("fuzz") && !error.description.contains("\n"), "\(error)")
            }
        }
    }

    @Test("a megabyte of random bytes is refused, not a trap")
    func largeRandomBuffers() throws {
        var random = SeededGenerator(seed: 7)
        for prefix in [[], [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]] as [[UInt8]] {
            let bytes = prefix + (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(throws: DataError.self) { try MNISTDigits(bytes: bytes, source: "big") }
        }
    }
}
