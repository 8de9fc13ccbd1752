import Foundation

/// Writing output files so that a reader never sees a partial file: the bytes go
/// to a temporary file in the same folder, which is then renamed into place.
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    ///
    /// - Throws: `AtomicFileError` naming the file when the folder is missing or
    ///   not writable; the temporary file is removed on failure.
    public static func write(_ data: Data, to url: URL) throws(AtomicFileError) {
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .folderMissing(url.path)
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(url.path, reason: Self.reason(error))
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(url.path, reason: reason)
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }
}

/// Why an output file could not be written.
public enum AtomicFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The folder the file should go into does not exist.
    case folderMissing(String)
    /// Writing or renaming failed.
    case writeFailed(String, reason: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .folderMissing(let path): "cannot write \(path): its folder does not exist"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
