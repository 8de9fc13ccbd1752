import Foundation
import SqueezeModel

/// Handwritten digits in the MNIST CSV layout: one line per image, 784 pixel
/// values (0...255, a 28x28 image row by row) then the label (0...9), comma
/// separated. The file may be gzip-compressed.
public struct MNISTDigits: SampleSet, Equatable {
    /// Pixels per image (28 x 28).
    public static let pixelCount = 784
    /// Fields per CSV line: the pixels and the label.
    public static let fieldCount = pixelCount + 1
    /// Multiplies each pixel on load, as Caffe's LeNet example does (1/256).
    public static let scale: Float = 0.00390625

    /// All pixels, `count * 784` of them, image after image, row-major 28x28.
    public let pixels: [UInt8]
    /// The label (0...9) of each image.
    public let labels: [UInt8]
    /// The file the digits were read from, for messages ("" when built in memory).
    public let path: String

    /// Digits held in memory.
    ///
    /// - Precondition: `pixels.count == labels.count * 784` and every label is in 0...9.
    public init(pixels: [UInt8], labels: [UInt8]) {
        precondition(
            pixels.count == labels.count * Self.pixelCount,
            "\(pixels.count) pixels for \(labels.count) labels; need \(Self.pixelCount) per label")
        precondition(labels.allSatisfy { $0 <= 9 }, "labels must be in 0...9")
        self.pixels = pixels
        self.labels = labels
        self.path = ""
    }

    /// Reads a CSV file, gzip-compressed or not (told by its first bytes, not
    /// its name). Lines may end in LF or CRLF; blank lines are skipped.
    ///
    /// - Throws: ``DataError/fileNotFound(path:)``, ``DataError/unreadable(path:reason:)``
    ///   (including corrupt gzip), ``DataError/malformed(path:line:reason:)`` naming
    ///   the first bad line, or ``DataError/empty(path:)`` when no line holds a digit.
    public init(contentsOf url: URL) throws(DataError) {
        let path = url.path
        var bytes = try Self.readFile(url)
        if Gzip.isGzip(bytes) {
            do throws(GzipError) {
                bytes = try Gzip.decompress(bytes)
            } catch {
                throw .unreadable(path: path, reason: error.reason)
            }
        }
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(DataError) in try Self.parse(buffer, path: path) }
        }
        (pixels, labels) = try parsed.get()
        guard !labels.isEmpty else { throw .empty(path: path) }
        self.path = path
    }

    /// The number of images.
    public var count: Int { labels.count }
    /// One grey channel of 28x28: `[1, 28, 28]`.
    public var sampleShape: [Int] { [1, 28, 28] }
    /// The ten digits.
    public var classCount: Int { 10 }

    /// The digit shown by image `index`.
    public func label(at index: Int) -> Int { Int(labels[index]) }

    /// Writes image `index` scaled by ``scale``. Digits are not augmented, so
    /// `random` is left untouched.
    public func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
        precondition(output.count == Self.pixelCount, "output holds \(output.count) floats, need \(Self.pixelCount)")
        precondition(labels.indices.contains(index), "sample \(index) is outside 0..<\(count)")
        let start = index * Self.pixelCount
        pixels.withUnsafeBufferPointer { all in
            for i in 0..<Self.pixelCount { output[i] = Float(all[start + i]) * Self.scale }
        }
    }

    // MARK: Reading

    private static func readFile(_ url: URL) throws(DataError) -> [UInt8] {
        do {
            return try FileContents.read(url.path, maximumSize: 1 << 31)
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(path: url.path)
            case .unreadable(let reason): throw .unreadable(path: url.path, reason: reason)
            case .tooLarge(let size, let limit):
                throw .unreadable(path: url.path, reason: "\(size) bytes is more than a digit file may hold (\(limit))")
            }
        }
    }

    // MARK: Parsing

    private static let comma = UInt8(ascii: ",")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let zero = UInt8(ascii: "0")

    /// Cuts the text into lines and parses each into the next row of pixels.
    /// Rows are written in place into a buffer sized for the most lines the
    /// text can hold (a digit line is at least 785 * 2 bytes with its newline).
    private static func parse(_ text: UnsafeBufferPointer<UInt8>, path: String) throws(DataError) -> ([UInt8], [UInt8]) {
        guard let base = text.baseAddress else { return ([], []) }
        let capacity = text.count / (2 * fieldCount) + 1
        var pixels = [UInt8](repeating: 0, count: capacity * pixelCount)
        var labels = [UInt8](repeating: 0, count: capacity)
        var rows = 0
        try pixels.withUnsafeMutableBufferPointer { (pixelBuffer) throws(DataError) in
            guard let pixelBase = pixelBuffer.baseAddress else { return }
            var position = 0
            // A UTF-8 byte order mark is not part of the first field.
            if text.count >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF { position = 3 }
            var lineNumber = 0
            while position < text.count {
                lineNumber += 1
                // memchr is vectorised; finding the line end is most of a naive parser's time.
                var end = text.count
                if let found = memchr(base + position, Int32(newline), text.count - position) {
                    end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                }
                let next = end + 1
                if end > position && text[end - 1] == carriageReturn { end -= 1 }
                defer { position = next }
                if end == position { continue }
                guard rows < capacity else {
                    // Unreachable by the size bound; kept so bad arithmetic cannot write out of bounds.
                    throw .malformed(path: path, line: lineNumber, reason: "more lines than the file size allows")
                }
                let row = pixelBase + rows * pixelCount
                if let label = fastLine(text, position..<end, into: row) {
                    labels[rows] = label
                    rows += 1
                } else if let label = try checkedLine(text, position..<end, into: row, path: path, line: lineNumber) {
                    labels[rows] = label
                    rows += 1
                }
            }
        }
        pixels.removeLast((capacity - rows) * pixelCount)
        labels.removeLast(capacity - rows)
        return (pixels, labels)
    }

    /// Parses a line of plain digits and commas; nil for anything else (which
    /// may still be valid, with blanks or signs, or may be an error), so that the
    /// careful parser decides.
    @inline(__always)
    private static func fastLine(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into row: UnsafeMutablePointer<UInt8>) -> UInt8? {
        var field = 0, value = 0, digits = 0
        for i in range {
            let byte = text[i]
            if byte == comma {
                guard digits > 0 && digits <= 3 && value <= 255 && field < pixelCount else { return nil }
                row[field] = UInt8(truncatingIfNeeded: value)
                field += 1
                value = 0
                digits = 0
            } else {
                let digit = byte &- zero
                guard digit < 10 else { return nil }
                value = value &* 10 &+ Int(digit)
                digits += 1
            }
        }
        guard field == pixelCount && digits > 0 && digits <= 3 && value <= 9 else { return nil }
        return UInt8(truncatingIfNeeded: value)
    }

    /// Parses a line field by field, allowing blanks and signs, and throws for
    /// the first problem; nil for a blank line. Fields are counted first so that
    /// a short line is reported as such, not as its first odd field.
    private static func checkedLine(
        _ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into row: UnsafeMutablePointer<UInt8>,
        path: String, line: Int
    ) throws(DataError) -> UInt8? {
        if isBlank(text, range) { return nil }
        var commas = 0
        for i in range where text[i] == comma { commas += 1 }
        guard commas + 1 == fieldCount else {
            throw .malformed(
                path: path, line: line, reason: "\(pixelCount) pixels and a label expected, found \(commas + 1) fields")
        }
        var fieldStart = range.lowerBound
        for field in 0..<fieldCount {
            var fieldEnd = fieldStart
            while fieldEnd < range.upperBound && text[fieldEnd] != comma { fieldEnd += 1 }
            let isLabel = field == pixelCount
            guard let value = integer(text, fieldStart..<fieldEnd) else {
                let what = isLabel ? "the label" : "pixel \(field + 1)"
                throw .malformed(
                    path: path, line: line,
                    reason: "\(what) is not an integer: \"\(excerpt(text, fieldStart..<fieldEnd))\"")
            }
            if isLabel {
                guard (0...9).contains(value) else {
                    throw .malformed(
                        path: path, line: line, reason: "label \(excerpt(text, fieldStart..<fieldEnd)) is outside 0...9")
                }
                return UInt8(value)
            }
            guard (0...255).contains(value) else {
                throw .malformed(
                    path: path, line: line,
                    reason: "pixel \(excerpt(text, fieldStart..<fieldEnd)) (field \(field + 1)) is outside 0...255")
            }
            row[field] = UInt8(value)
            fieldStart = fieldEnd + 1
        }
        return nil  // not reached: the last field is the label
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func isBlank(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        for i in range where !isSpace(text[i]) { return false }
        return true
    }

    /// A decimal integer with optional sign and surrounding blanks; nil if the
    /// field is anything else. Magnitudes are capped so long digit runs cannot
    /// overflow (they are out of range either way).
    private static func integer(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var i = range.lowerBound, end = range.upperBound
        while i < end && isSpace(text[i]) { i += 1 }
        while end > i && isSpace(text[end - 1]) { end -= 1 }
        var negative = false
        if i < end && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < end else { return nil }
        var value = 0
        while i < end {
            let digit = text[i] &- zero
            guard digit < 10 else { return nil }
            value = min(value * 10 + Int(digit), 1 << 40)
            i += 1
        }
        return negative ? -value : value
    }

    /// The field's text for a message: trimmed, at most 20 characters, with
    /// control characters replaced so the message stays on one line.
    private static func excerpt(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        var i = range.lowerBound, end = range.upperBound
        while i < end && isSpace(text[i]) { i += 1 }
        while end > i && isSpace(text[end - 1]) { end -= 1 }
        let limit = 20
        let shown = UnsafeBufferPointer(rebasing: text[i..<min(end, i + limit)])
        let cleaned = String(decoding: shown, as: UTF8.self).map { $0.isNewline || ($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) ? "?" : $0 }
        return String(cleaned) + (end - i > limit ? "..." : "")
    }
}
