#if os(Linux)
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension AtomicFile {
    /// `O_TMPFILE` from <bits/fcntl-linux.h> (`__O_TMPFILE | O_DIRECTORY`; 020000000 on
    /// x86-64, aarch64 and the other asm-generic ports). The Glibc overlay does not
    /// export it: it is only declared under _GNU_SOURCE.
    static let openUnnamed: Int32 = 0o20000000 | O_DIRECTORY

    /// `AT_EMPTY_PATH` from <linux/fcntl.h>, likewise GNU-only.
    static let atEmptyPath: Int32 = 0x1000

    /// Writes through an unnamed inode, so a killed process leaves nothing behind.
    ///
    /// - Returns: false, having changed nothing, when the filesystem refuses
    ///   `O_TMPFILE` or the inode cannot be given a name; the caller then uses a
    ///   named temporary file.
    static func writeUnnamed(_ bytes: UnsafeRawBufferPointer, to output: Target) throws(AtomicFileError) -> Bool {
        // 0o666 like any created file: the kernel applies the umask (or default ACL).
        let fd = openat(output.folder, ".", openUnnamed | O_WRONLY | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            let code = errno
            // EISDIR: a kernel older than 3.11; EOPNOTSUPP/EINVAL: a filesystem without it.
            if code == EOPNOTSUPP || code == EISDIR || code == EINVAL { return false }
            throw .writeFailed(output.path, reason: describe(code))
        }
        defer { close(fd) }
        try writeAll(bytes, to: fd, path: output.path)
        try sync(fd, path: output.path)
        guard let temporary = try link(fd, into: output) else { return false }
        try rename(temporary, over: output)
        return true
    }

    /// Gives the unnamed inode one of our temporary names; nil when this system
    /// allows neither way of linking it.
    private static func link(_ fd: Int32, into output: Target) throws(AtomicFileError) -> String? {
        for _ in 0..<8 {
            let temporary = temporaryName(for: output.name)
            // Through /proc any user may link it; AT_EMPTY_PATH needs
            // CAP_DAC_READ_SEARCH before Linux 6.10 but works without /proc.
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", output.folder, temporary, AT_SYMLINK_FOLLOW) == 0 {
                return temporary
            }
            var code = errno
            if code == ENOENT {
                if linkat(fd, "", output.folder, temporary, atEmptyPath) == 0 { return temporary }
                code = errno
                if code == ENOENT || code == EPERM { return nil }
            }
            if code != EEXIST { throw .writeFailed(output.path, reason: describe(code)) }
        }
        throw .writeFailed(output.path, reason: describe(EEXIST))
    }
}
#endif
