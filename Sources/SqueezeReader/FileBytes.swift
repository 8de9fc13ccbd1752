import Foundation

/// Reads whole files, turning every failure into a `ReaderError`.
enum FileBytes {
    /// The file's bytes.
    static func read(_ url: URL) throws(ReaderError) -> Data {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "it is a directory") }
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The file's text, which must be UTF-8.
    static func readText(_ url: URL) throws(ReaderError) -> String {
        let data = try read(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: url.path, reason: "not UTF-8 text")
        }
        return text
    }
}
