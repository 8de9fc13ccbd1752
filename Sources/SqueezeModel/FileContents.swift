#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with POSIX calls, for every module that reads files whole.
///
/// Not `Data(contentsOf:)`: on Linux it cannot reliably tell "no such file",
/// "is a directory" and "permission denied" apart, and the copy into `[UInt8]`
/// after it doubles the work (opening a model reads its file this way).
package enum FileContents {
    /// Why a file could not be read.
    package enum Failure: Error, Sendable {
        case notFound
        case unreadable(reason: String)
        case tooLarge(size: Int, limit: Int)
    }

    /// The bytes of the regular file at `path`, refused when larger than `maximumSize`.
    package static func read(_ path: String, maximumSize: Int) throws(Failure) -> [UInt8] {
        // O_NONBLOCK: opening a pipe would otherwise wait for a writer before
        // fstat could tell it is not a regular file; regular files ignore it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw .notFound }
            throw .unreadable(reason: reason(code))
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(reason: reason(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .unreadable(reason: "is a directory")
        default: throw .unreadable(reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= maximumSize else { throw .tooLarge(size: size, limit: maximumSize) }
        guard size > 0 else { return [] }

        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = readFully(fd, into: buffer, failure: &failure)
        }
        if failure != 0 { throw .unreadable(reason: reason(failure)) }
        return bytes
    }

    /// Everything a file yields until its end, for files whose size `fstat`
    /// does not tell (`/proc`, `/sys`); nil when it cannot be opened or holds
    /// more than `maximumSize` bytes.
    package static func readStream(_ path: String, maximumSize: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var failure: Int32 = 0
        // One byte more than allowed tells an over-long file apart.
        let capacity = maximumSize + 1
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = readFully(fd, into: buffer, failure: &failure)
        }
        guard failure == 0, bytes.count <= maximumSize else { return nil }
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
            let n = systemRead(fd, base + filled, buffer.count - filled)
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

    /// POSIX `read`, named apart from `FileContents.read`.
    private static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    private static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
