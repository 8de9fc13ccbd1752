import Foundation
import SqueezeModel

extension MNISTDigits {
    /// Parses `bytes`, gzip or plain text, into pixels and labels under `bounds`.
    /// With `chunkSize`, plain text too is fed to the line parser in pieces.
    static func read(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, memoryLimit: MemoryLimit, bounds: Bounds, chunkSize: Int?
    ) throws(DataError) -> ([UInt8], [UInt8]) {
        let reader = DigitReader(path: path, memoryLimit: memoryLimit, bounds: bounds, inputBytes: bytes.count)
        if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
            // The trailer's size sizes the arrays at once when it is within what
            // the file may expand to; a larger claim is a bomb or a lie and gets
            // no up-front memory.
            let claimed = Gzip.trailerSize(bytes)
            let plausible = max(bounds.expansionFloor, Checked.saturatingMultiply(bytes.count, bounds.maximumExpansion))
            if claimed > 0 && claimed <= plausible { reader.reserve(forTextOf: claimed) }
            // The reader bounds the text; Gzip's own maximum is not needed.
            try Gzip.decompress(
                bytes, maximumSize: .max, chunkSize: chunkSize ?? Gzip.defaultChunkSize,
                failure: { DataError.unreadable(path: path, reason: $0.reason) }
            ) { (chunk, progress) throws(DataError) in
                if progress.produced > bounds.expansionFloor,
                   progress.produced > Checked.saturatingMultiply(progress.consumed, bounds.maximumExpansion) {
                    throw .tooLarge(
                        path: path,
                        reason: "gzip data expands \(progress.produced / max(1, progress.consumed)):1 "
                            + "(\(ByteCount.grouped(progress.produced)) bytes from the first "
                            + "\(ByteCount.grouped(progress.consumed)) compressed bytes), more than the "
                            + "\(bounds.maximumExpansion):1 digit data can plausibly reach")
                }
                try reader.consume(chunk)
            }
        } else {
            reader.reserve(forTextOf: bytes.count)
            let step = max(1, chunkSize ?? bytes.count)
            var start = 0
            while start < bytes.count {
                let end = start + min(step, bytes.count - start)
                try reader.consume(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                start = end
            }
        }
        try reader.finish()
        return (reader.pixels, reader.labels)
    }

    // MARK: Parsing one line

    static let comma = UInt8(ascii: ",")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let zero = UInt8(ascii: "0")

    /// Parses a line of plain digits and commas; nil for anything else (which
    /// may still be valid, with blanks or signs, or may be an error), so that the
    /// careful parser decides.
    @inline(__always)
    static func fastLine(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into row: UnsafeMutablePointer<UInt8>) -> UInt8? {
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
    static func checkedLine(
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

/// Turns a stream of text chunks into digits: cuts lines across chunk
/// boundaries (carrying a partial line, at most ``MNISTDigits/Bounds/maximumLineLength``
/// bytes, to the next chunk), parses each line, and stores only its pixels and
/// label, growing the arrays only after the memory limit allows it.
final class DigitReader {
    private typealias Digits = MNISTDigits

    /// Bytes one stored digit takes: its pixels and its label.
    static let bytesPerDigit = MNISTDigits.pixelCount + 1
    /// The shortest text that can hold a digit line: 785 fields of one
    /// character, 784 commas and a newline.
    static let shortestLine = 2 * MNISTDigits.fieldCount
    /// The capacity of the first growth when nothing sized the arrays.
    static let initialCapacity = 1024

    let path: String
    let memoryLimit: MemoryLimit
    let bounds: MNISTDigits.Bounds
    /// The input held while reading, counted in every estimate.
    let inputBytes: Int

    private(set) var pixels: [UInt8] = []
    private(set) var labels: [UInt8] = []
    /// Digits the arrays have room for; they never grow behind the reader's back.
    private var capacity = 0
    /// The row being parsed, so a line that turns out bad leaves the arrays alone.
    private let row: UnsafeMutablePointer<UInt8>
    /// The start of a line that a chunk ended in the middle of.
    private let carry: UnsafeMutablePointer<UInt8>
    private var carried = 0
    /// Lines completed so far; the line being read is the next one.
    private var lineNumber = 0
    /// Text bytes seen so far.
    private var streamed = 0

    init(path: String, memoryLimit: MemoryLimit, bounds: MNISTDigits.Bounds, inputBytes: Int) {
        self.path = path
        self.memoryLimit = memoryLimit
        self.bounds = bounds
        self.inputBytes = inputBytes
        row = .allocate(capacity: Digits.pixelCount)
        carry = .allocate(capacity: max(1, bounds.maximumLineLength))
    }

    deinit {
        row.deallocate()
        carry.deallocate()
    }

    /// Sizes the arrays for the most digits `textBytes` of text can hold, when
    /// the memory limit allows it; otherwise they grow as digits arrive, and
    /// only a growth that is really needed can be refused.
    func reserve(forTextOf textBytes: Int) {
        let most = min(bounds.maximumCount, textBytes / Self.shortestLine + 1)
        guard most > capacity, (try? memoryLimit.check(estimate(most))) != nil else { return }
        setCapacity(most)
    }

    /// Parses the lines `chunk` completes and carries its unfinished last line over.
    func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws(DataError) {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
        streamed = Checked.saturatingAdd(streamed, chunk.count)
        guard streamed <= bounds.maximumTextSize else {
            throw .tooLarge(
                path: path,
                reason: "more than \(ByteCount.describe(bounds.maximumTextSize)) of text, more than "
                    + "\(ByteCount.grouped(bounds.maximumCount)) digit lines can plausibly take")
        }
        var position = 0
        while position < chunk.count {
            // Runs of empty lines (a cheap bomb) skip the search and the line parser.
            if carried == 0 && base[position] == Digits.newline {
                lineNumber += 1
                position += 1
                continue
            }
            // memchr is vectorised; finding the line end is most of a naive parser's time.
            guard let found = memchr(base + position, Int32(Digits.newline), chunk.count - position) else {
                try carryOver(base + position, count: chunk.count - position)
                return
            }
            let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if carried == 0 {
                try line(UnsafeBufferPointer(start: base + position, count: end - position))
            } else {
                try carryOver(base + position, count: end - position)
                let length = carried
                carried = 0
                try line(UnsafeBufferPointer(start: carry, count: length))
            }
            position = end + 1
        }
    }

    /// Parses a last line that has no newline.
    func finish() throws(DataError) {
        guard carried > 0 else { return }
        let length = carried
        carried = 0
        try line(UnsafeBufferPointer(start: carry, count: length))
    }

    private func carryOver(_ start: UnsafePointer<UInt8>, count: Int) throws(DataError) {
        guard count <= bounds.maximumLineLength - carried else { throw longLine(lineNumber + 1) }
        (carry + carried).update(from: start, count: count)
        carried += count
    }

    private func longLine(_ number: Int) -> DataError {
        .malformed(
            path: path, line: number,
            reason: "the line is longer than \(ByteCount.grouped(bounds.maximumLineLength)) bytes")
    }

    /// Parses one line (without its newline) and stores its digit.
    private func line(_ text: UnsafeBufferPointer<UInt8>) throws(DataError) {
        lineNumber += 1
        guard text.count <= bounds.maximumLineLength else { throw longLine(lineNumber) }
        var start = 0, end = text.count
        // A UTF-8 byte order mark is not part of the first field.
        if lineNumber == 1 && end >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF { start = 3 }
        if end > start && text[end - 1] == Digits.carriageReturn { end -= 1 }
        if end == start { return }
        if let label = Digits.fastLine(text, start..<end, into: row) {
            try store(label)
        } else if let label = try Digits.checkedLine(text, start..<end, into: row, path: path, line: lineNumber) {
            try store(label)
        }
    }

    private func store(_ label: UInt8) throws(DataError) {
        if labels.count == capacity {
            guard capacity < bounds.maximumCount else {
                throw .tooLarge(
                    path: path,
                    reason: "more than \(ByteCount.grouped(bounds.maximumCount)) digits (line \(lineNumber))")
            }
            try grow()
        }
        pixels.append(contentsOf: UnsafeBufferPointer(start: row, count: Digits.pixelCount))
        labels.append(label)
    }

    /// Doubles the capacity, or when the limit refuses that, grows it by an
    /// eighth, so a file that fits is refused only when even that does not.
    private func grow() throws(DataError) {
        let needed = capacity + 1
        let doubled = min(bounds.maximumCount, max(needed, Self.initialCapacity, Checked.saturatingMultiply(capacity, 2)))
        let modest = min(bounds.maximumCount, max(needed, capacity + capacity / 8))
        do throws(ResourceError) {
            try memoryLimit.check(estimate(doubled))
            setCapacity(doubled)
        } catch {
            do throws(ResourceError) {
                try memoryLimit.check(estimate(modest))
                setCapacity(modest)
            } catch {
                throw .resource(error)
            }
        }
    }

    /// Exact capacities (reserveCapacity does not round up geometrically), so
    /// the estimates are what is allocated.
    private func setCapacity(_ digits: Int) {
        pixels.reserveCapacity(digits * Digits.pixelCount)
        labels.reserveCapacity(digits)
        capacity = digits
    }

    /// The memory reading needs with room for `digits`: the arrays, the old
    /// arrays while they are copied, the input and the working buffers.
    private func estimate(_ digits: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate("reading digits from \(path)")
        estimate.add("\(ByteCount.grouped(digits)) digits of \(Self.bytesPerDigit) bytes", count: digits,
                     elementBytes: Self.bytesPerDigit)
        if capacity > 0 {
            estimate.add("the \(ByteCount.grouped(capacity)) digits read so far while they are copied", count: capacity,
                         elementBytes: Self.bytesPerDigit)
        }
        estimate.add("the file", bytes: inputBytes)
        // One gzip output chunk, zlib's window and state, the carried line.
        estimate.add("buffers", bytes: Gzip.defaultChunkSize + (48 << 10) + bounds.maximumLineLength)
        return estimate
    }
}
