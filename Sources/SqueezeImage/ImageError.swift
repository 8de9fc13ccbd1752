/// Why an image, a class list or an image folder could not be used.
///
/// Every message is one line and starts with the file (or folder) at fault when
/// it is known.
public enum ImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file or buffer holds zero bytes.
    case empty(file: String?)
    /// The data does not start with a JPEG signature.
    case notJPEG(file: String?)
    /// The JPEG data ends before the image does.
    case truncated(file: String?)
    /// A JPEG this decoder does not handle: a colour space other than
    /// grayscale, YCbCr, RGB, CMYK or YCCK, a sample precision other than 8
    /// bits, or a coding process libjpeg lacks (such as lossless).
    case unsupported(file: String?, detail: String)
    /// The image has more pixels than the decoder's limit.
    case tooLarge(file: String?, detail: String)
    /// libjpeg found the data corrupt.
    case corrupt(file: String?, detail: String)
    /// Memory for the decoded image could not be allocated.
    case outOfMemory(file: String?)
    /// Nothing exists at the path.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a directory, I/O error).
    case unreadableFile(path: String, reason: String)
    /// The path exists but is not a directory.
    case notADirectory(path: String)
    /// The directory holds no `<synset>_*.JPEG` files.
    case noImages(directory: String)
    /// The synsets file has no entries.
    case emptySynsets(file: String)
    /// A synsets line cannot be parsed (for instance, a blank line between entries).
    case malformedSynsetLine(file: String, line: Int)
    /// A synset id appears on two lines of the synsets file.
    case duplicateSynset(file: String, id: String, line: Int, firstLine: Int)
    /// An image's file name starts with a synset id the class list does not know.
    case unknownSynset(file: String, id: String)
    /// An image's file name does not start with `<synset>_`.
    case missingSynsetPrefix(file: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .empty(let file):
            Self.prefixed(file, "empty file (0 bytes)", fallback: "empty image data (0 bytes)")
        case .notJPEG(let file):
            Self.prefixed(file, "not a JPEG file", fallback: "data is not a JPEG image")
        case .truncated(let file):
            Self.prefixed(file, "truncated JPEG (data ends before the image does)")
        case .unsupported(let file, let detail):
            Self.prefixed(file, "unsupported JPEG: \(Self.oneLine(detail))")
        case .tooLarge(let file, let detail):
            Self.prefixed(file, "image too large: \(Self.oneLine(detail))")
        case .corrupt(let file, let detail):
            Self.prefixed(file, "corrupt JPEG: \(Self.oneLine(detail))")
        case .outOfMemory(let file):
            Self.prefixed(file, "out of memory while decoding JPEG")
        case .fileNotFound(let path):
            "\(path): no such file"
        case .unreadableFile(let path, let reason):
            "\(path): cannot read file: \(Self.oneLine(reason))"
        case .notADirectory(let path):
            "\(path): not a directory"
        case .noImages(let directory):
            "\(directory): no <synset>_*.JPEG images in this directory"
        case .emptySynsets(let file):
            "\(file): synsets file has no entries"
        case .malformedSynsetLine(let file, let line):
            "\(file):\(line): expected '<synset id> <name>'"
        case .duplicateSynset(let file, let id, let line, let firstLine):
            "\(file):\(line): synset \(id) already listed on line \(firstLine)"
        case .unknownSynset(let file, let id):
            "\(file): synset prefix '\(id)' is not in the synsets list"
        case .missingSynsetPrefix(let file):
            "\(file): file name does not start with '<synset>_'"
        }
    }

    private static func prefixed(_ file: String?, _ message: String, fallback: String? = nil) -> String {
        if let file { return "\(file): \(message)" }
        return fallback ?? message
    }

    /// Messages from libjpeg or the OS must not break the one-line promise.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
