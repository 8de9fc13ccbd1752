#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whole-file reads with errors that name the file and the OS reason.
///
/// POSIX calls rather than `Data(contentsOf:)` so that "no such file", "is a
/// directory" and "permission denied" can be told apart reliably on Linux.
enum FileBytes {
    /// Files larger than this are refused before allocating (no JPEG of an
    /// image within the pixel limit comes close).
    static let maximumSize = 1 << 30

    /// Reads the regular file at `url`.
    static func contents(of url: URL) throws(ImageError) -> [UInt8] {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw .fileNotFound(path: path) }
            throw .unreadableFile(path: path, reason: reason(code))
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .unreadableFile(path: path, reason: reason(errno))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .unreadableFile(path: path, reason: "is a directory")
        default: throw .unreadableFile(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= maximumSize else {
            throw .tooLarge(file: path, detail: "file of \(size) bytes exceeds \(maximumSize) bytes")
        }
        guard size > 0 else { return [] }

        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = readFully(fd, into: buffer, failure: &failure)
        }
        if failure != 0 {
            throw .unreadableFile(path: path, reason: reason(failure))
        }
        return bytes
    }

    /// Reads until `buffer` is full or end of file; returns the bytes read and
    /// sets `failure` to errno on a read error. Initialises exactly the returned
    /// prefix of `buffer`, as `Array(unsafeUninitializedCapacity:)` requires.
    private static func readFully(
        _ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>, failure: inout Int32
    ) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, base + filled, buffer.count - filled)
            if n > 0 {
                filled += n
            } else if n == 0 {
                break  // file shrank since fstat
            } else if errno != EINTR {
                failure = errno
                break
            }
        }
        return filled
    }

    private static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
