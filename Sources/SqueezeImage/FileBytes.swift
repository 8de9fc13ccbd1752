import Foundation
import SqueezeModel

/// Whole-file reads with errors that name the file and the OS reason.
enum FileBytes {
    /// Files larger than this are refused before allocating (no JPEG of an
    /// image within the pixel limit comes close).
    static let maximumSize = 1 << 30

    /// Reads the regular file at `url`, refused when larger than `limit`.
    static func contents(of url: URL, maximumSize limit: Int = maximumSize) throws(ImageError) -> [UInt8] {
        do {
            return try FileContents.read(url.path, maximumSize: limit)
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(path: url.path)
            case .unreadable(let reason): throw .unreadableFile(path: url.path, reason: reason)
            case .tooLarge(let size, let limit):
                throw .tooLarge(file: url.path, detail: "file of \(size) bytes exceeds \(limit) bytes")
            }
        }
    }
}
