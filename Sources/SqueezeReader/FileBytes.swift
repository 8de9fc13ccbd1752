import Foundation
import SqueezeModel

/// Reads whole files, turning every failure into a `ReaderError`.
enum FileBytes {
    /// The file's bytes (mapped where the system allows), refused when larger
    /// than `maximumSize` before any of it is read.
    static func read(_ url: URL, maximumSize: Int) throws(ReaderError) -> Data {
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do {
            // attributesOfItem describes a symbolic link itself: look at its target.
            attributes = try FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        } catch {
            guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        switch attributes[.type] as? FileAttributeType {
        case .typeRegular?: break
        case .typeDirectory?: throw .unreadable(path: path, reason: "it is a directory")
        case .typeSymbolicLink?: throw .fileNotFound(path: path)  // a link to nothing
        // A pipe or device could block or never end.
        default: throw .unreadable(path: path, reason: "not a regular file")
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > maximumSize {
            throw .tooLarge(file: path, reason: "\(ByteCount.describe(size)) is more than such a file may hold "
                                + "(\(ByteCount.describe(maximumSize)))")
        }
        do {
            let data = try Data(contentsOf: url, options: .mappedIfSafe)
            // The file may have grown since it was measured.
            guard data.count <= maximumSize else {
                throw ReaderError.tooLarge(file: path, reason: "more than \(ByteCount.describe(maximumSize))")
            }
            return data
        } catch let error as ReaderError {
            throw error
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The file's text, which must be UTF-8.
    static func readText(_ url: URL, maximumSize: Int) throws(ReaderError) -> String {
        let data = try read(url, maximumSize: maximumSize)
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: url.path, reason: "not UTF-8 text")
        }
        return text
    }
}
