import Foundation
import SqueezeModel

/// Handwritten digits in the MNIST CSV layout: one line per image, 784 pixel
/// values (0...255, a 28x28 image row by row) then the label (0...9), comma
/// separated. The file may be gzip-compressed.
///
/// The text is parsed as it streams out of gzip, line by line, and only the
/// pixels and labels are kept. Input is untrusted, so reading stops with a
/// one-line ``DataError`` at the first of these bounds it passes:
///
/// - more than ``maximumCount`` digits;
/// - a line longer than ``maximumLineLength`` bytes;
/// - more than ``maximumTextSize`` bytes of text;
/// - gzip data expanding more than ``maximumExpansion``:1 once past
///   ``expansionFloor`` bytes of output (a gzip bomb);
/// - digits (785 bytes each) that, with the file and the copy made while the
///   arrays grow, need more than the ``MemoryLimit``.
public struct MNISTDigits: SampleSet, Equatable {
    /// Pixels per image (28 x 28).
    public static let pixelCount = 784
    /// Fields per CSV line: the pixels and the label.
    public static let fieldCount = pixelCount + 1
    /// Multiplies each pixel on load, as Caffe's LeNet example does (1/256).
    public static let scale: Float = 0.00390625

    /// The most digits a file may hold: 1,000,000. MNIST has 70,000 and the
    /// largest relative, EMNIST ByClass, 814,255; a million leaves room for
    /// those while keeping the pixels under 785 MB.
    public static let maximumCount = 1_000_000

    /// The longest line accepted, in bytes before its newline: 65,536. A
    /// digit line in the usual form is at most 3,137 bytes (784 times `255,`
    /// and the label); the rest leaves room for blanks and leading zeros.
    /// The bound keeps a partial line carried between chunks small.
    public static let maximumLineLength = 1 << 16

    /// The most bytes a plausible line takes, newline included, for the bound
    /// on the whole text: 4,096, above the 3,138 of the longest usual line.
    public static let plausibleLineLength = 4096

    /// The most text a file may hold or expand to: ``maximumCount`` lines of
    /// ``plausibleLineLength`` bytes, 4,096,000,000 bytes (3.8 GiB).
    public static let maximumTextSize = maximumCount * plausibleLineLength

    /// The largest gzip expansion accepted, 100:1.
    ///
    /// The shared development file `mnist_4k_dev.csv.gz` expands 8.6:1
    /// (846,201 to 7,313,268 bytes): about four-fifths of the pixels are `0,`
    /// and the rest carry the strokes, which do not repeat from image to
    /// image. Only copied lines compress much better: deflate packs one real
    /// digit line repeated at about 190:1 and a blank image's line at about
    /// 560:1 (its ceiling is 1032:1). 100:1 leaves real data more than ten
    /// times its ratio and stops both kinds of bomb early.
    public static let maximumExpansion = 100

    /// The output a gzip stream may reach before ``maximumExpansion`` is
    /// applied: 64 MiB (about 36,000 digits), so small files, whose ratio says
    /// little, are never refused for it and a bomb is stopped after at most
    /// this much work.
    public static let expansionFloor = 64 << 20

    /// The largest file read, compressed or not: 2 GiB. The file is read whole.
    public static let maximumFileSize = 1 << 31

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
    /// The file is read whole (it may be at most ``maximumFileSize`` bytes and
    /// must fit `memoryLimit`), then parsed as ``init(bytes:source:memoryLimit:)`` does.
    ///
    /// - Throws: ``DataError/fileNotFound(path:)``, ``DataError/unreadable(path:reason:)``
    ///   (including corrupt gzip), ``DataError/malformed(path:line:reason:)`` naming
    ///   the first bad line, ``DataError/tooLarge(path:reason:)`` or
    ///   ``DataError/resource(_:)`` for a file past the bounds above, or
    ///   ``DataError/empty(path:)`` when no line holds a digit.
    public init(contentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(DataError) {
        let bytes = try Self.readFile(url.path, memoryLimit: memoryLimit)
        try self.init(bytes: bytes, source: url.path, memoryLimit: memoryLimit)
    }

    /// Parses the bytes of a CSV file, gzip-compressed or not (told by the
    /// first bytes). Safe on any bytes: every bound above holds, and no
    /// allocation passes `memoryLimit`.
    ///
    /// - Parameters:
    ///   - source: the name used in messages and kept as ``path``.
    ///   - memoryLimit: the memory the digits, the bytes and the buffers may take.
    /// - Throws: as ``init(contentsOf:memoryLimit:)``, except for the file errors.
    public init(bytes: [UInt8], source: String, memoryLimit: MemoryLimit = .current) throws(DataError) {
        try self.init(bytes: bytes, source: source, memoryLimit: memoryLimit, bounds: .standard, chunkSize: nil)
    }

    /// ``init(bytes:source:memoryLimit:)`` with other bounds, and the text
    /// handed to the line parser in pieces of `chunkSize` bytes (plain text as
    /// well as gzip output), so tests can reach every bound and every place a
    /// chunk can end cheaply.
    @_spi(Testing)
    public init(bytes: [UInt8], source: String, memoryLimit: MemoryLimit, bounds: Bounds, chunkSize: Int?) throws(DataError) {
        let (pixels, labels) = try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) in
            try Self.read(buffer, path: source, memoryLimit: memoryLimit, bounds: bounds, chunkSize: chunkSize)
        }
        guard !labels.isEmpty else { throw .empty(path: source) }
        self.pixels = pixels
        self.labels = labels
        self.path = source
    }

    /// The bounds reading enforces; ``standard`` holds the documented figures.
    @_spi(Testing)
    public struct Bounds: Sendable {
        /// The most digits.
        public var maximumCount: Int
        /// The longest line, in bytes before its newline.
        public var maximumLineLength: Int
        /// The most text, in bytes.
        public var maximumTextSize: Int
        /// The largest gzip expansion, `n` for `n:1`.
        public var maximumExpansion: Int
        /// The output past which the expansion is checked.
        public var expansionFloor: Int

        /// Bounds with the given figures.
        public init(
            maximumCount: Int = MNISTDigits.maximumCount, maximumLineLength: Int = MNISTDigits.maximumLineLength,
            maximumTextSize: Int = MNISTDigits.maximumTextSize, maximumExpansion: Int = MNISTDigits.maximumExpansion,
            expansionFloor: Int = MNISTDigits.expansionFloor
        ) {
            self.maximumCount = max(0, maximumCount)
            self.maximumLineLength = max(0, maximumLineLength)
            self.maximumTextSize = max(0, maximumTextSize)
            self.maximumExpansion = max(1, maximumExpansion)
            self.expansionFloor = max(0, expansionFloor)
        }

        /// ``MNISTDigits/maximumCount`` and the other documented bounds.
        public static let standard = Bounds()
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

    /// The whole file, refused before reading when it passes ``maximumFileSize``
    /// or the memory limit.
    private static func readFile(_ path: String, memoryLimit: MemoryLimit) throws(DataError) -> [UInt8] {
        do {
            return try FileContents.read(path, maximumSize: min(maximumFileSize, memoryLimit.bytes))
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(path: path)
            case .unreadable(let reason): throw .unreadable(path: path, reason: reason)
            case .tooLarge(let size, _):
                if size <= maximumFileSize {
                    var estimate = MemoryEstimate("reading digits from \(path)")
                    estimate.add("the file", bytes: size)
                    do throws(ResourceError) { try memoryLimit.check(estimate) } catch { throw .resource(error) }
                }
                throw .tooLarge(
                    path: path,
                    reason: "the file is \(ByteCount.describe(size)), more than the \(ByteCount.describe(maximumFileSize)) a digit file may be")
            }
        }
    }
}
