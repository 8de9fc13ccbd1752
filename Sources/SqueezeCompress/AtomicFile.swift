import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing output files so that a reader never sees a partial file, and a killed
/// process leaves no stray temporary file behind.
///
/// The output path is only ever replaced, by `rename`, with a complete file whose
/// bytes have been `fsync`ed; the folder is `fsync`ed afterwards so the new name
/// survives a crash too.
///
/// - On Linux the bytes go to an unnamed inode (`O_TMPFILE`), which the kernel
///   frees if the process dies. Once complete it is linked under a temporary name
///   and renamed over the output (`linkat` cannot replace an existing file).
/// - Where `O_TMPFILE` is refused (filesystems without it, other systems) the bytes
///   go to a named temporary file in the output's folder, renamed the same way.
///
/// Temporary names follow exactly this pattern, for an output named `NAME`:
///
///     .NAME.sqz-tmp.PID.HEX
///
/// where `PID` is the writing process's id in decimal (no leading zero) and `HEX`
/// is 16 lowercase hexadecimal digits chosen at random. A named temporary exists
/// only between `linkat` and `rename` (a few microseconds) or, on the fallback,
/// for the whole write. Before each write to `NAME`, regular files in its folder
/// that match this pattern for `NAME` and whose `PID` is not a live process are
/// removed, so whatever a `kill -9` left is gone by the next write. Nothing else
/// in the folder is touched. (Processes in another PID namespace writing into the
/// same folder look dead from here; such a writer would get a one-line rename
/// error, never a partial output.)
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    ///
    /// - Throws: `AtomicFileError` naming the file when its folder is missing or
    ///   any step fails (the reason is the system's, e.g. "No space left on
    ///   device"); the output is then untouched and no temporary file remains.
    public static func write(_ data: Data, to url: URL) throws(AtomicFileError) {
        try write(data, to: url, strategy: .automatic)
    }

    /// Writes `bytes` (an array, `Data`, a buffer...) to `url` atomically,
    /// without copying them first.
    ///
    /// - Throws: `AtomicFileError`, as `write(_:to:)` for `Data`.
    public static func write(_ bytes: some ContiguousBytes, to url: URL) throws(AtomicFileError) {
        try write(bytes, to: url, strategy: .automatic)
    }

    /// How the temporary file is made; tests use it to exercise the fallback.
    @_spi(Testing)
    public enum Strategy: Sendable {
        /// An unnamed `O_TMPFILE` inode where the system allows it, else a named file.
        case automatic
        /// Always a named temporary file (the fallback).
        case named
    }

    /// Writes `bytes` to `url` atomically with the given temporary-file strategy.
    ///
    /// - Throws: `AtomicFileError`, as `write(_:to:)`.
    @_spi(Testing)
    public static func write(_ bytes: some ContiguousBytes, to url: URL,
                             strategy: Strategy) throws(AtomicFileError) {
        // withUnsafeBytes rethrows untyped errors, so the typed one travels in a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(AtomicFileError) in try write(raw, to: url, strategy: strategy) }
        }
        try result.get()
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to url: URL,
                              strategy: Strategy) throws(AtomicFileError) {
        let path = url.path
        let name = url.lastPathComponent
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw .writeFailed(path, reason: "not a file name")
        }
        let folderPath = url.deletingLastPathComponent().path
        // Every later step is relative to this descriptor, so the folder cannot
        // be swapped underneath us between steps.
        let folder = open(folderPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .folderMissing(path) }
            throw .writeFailed(path, reason: describe(code))
        }
        defer { close(folder) }

        removeStaleTemporaries(in: folder, for: name)
        let output = Target(folder: folder, name: name, path: path)
        var written = false
        #if os(Linux)
        if strategy == .automatic {
            written = try writeUnnamed(bytes, to: output)
        }
        #endif
        if !written {
            try writeNamed(bytes, to: output)
        }
        // Without this the rename itself may be lost in a crash.
        if fsync(folder) != 0, errno != EINVAL {
            throw .writeFailed(path, reason: describe(errno))
        }
    }

    /// Where one write goes: the folder's descriptor, the file name in it, and
    /// the full path for messages.
    struct Target {
        let folder: Int32
        let name: String
        let path: String
    }

    /// The fallback: a named temporary file, written, synced and renamed.
    private static func writeNamed(_ bytes: UnsafeRawBufferPointer, to output: Target) throws(AtomicFileError) {
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temporary = temporaryName(for: output.name)
            // 0o666 like any created file: the kernel applies the umask (or default ACL).
            fd = openat(output.folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw .writeFailed(output.path, reason: describe(errno)) }
        do throws(AtomicFileError) {
            do throws(AtomicFileError) {
                try writeAll(bytes, to: fd, path: output.path)
                try sync(fd, path: output.path)
            } catch {
                close(fd)
                throw error
            }
            // close can report a deferred write error (e.g. on NFS).
            if close(fd) != 0, errno != EINTR { throw .writeFailed(output.path, reason: describe(errno)) }
            try rename(temporary, over: output)
        } catch {
            unlinkat(output.folder, temporary, 0)
            throw error
        }
    }

    /// Renames `temporary` over the output, removing it if that fails.
    static func rename(_ temporary: String, over output: Target) throws(AtomicFileError) {
        if renameat(output.folder, temporary, output.folder, output.name) != 0 {
            let code = errno
            unlinkat(output.folder, temporary, 0)
            throw .writeFailed(output.path, reason: describe(code))
        }
    }

    /// Writes every byte, resuming after short writes and signals.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws(AtomicFileError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            // Linux writes at most about 2 GiB per call anyway.
            let chunk = min(bytes.count - offset, 1 << 30)
            let count = posixWrite(fd, base + offset, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path, reason: describe(errno))
            }
            if count == 0 { throw .writeFailed(path, reason: describe(EIO)) }
            offset += count
        }
    }

    /// Flushes a file to the device, so a crash after the rename cannot leave
    /// the output name on an empty or partial inode.
    static func sync(_ fd: Int32, path: String) throws(AtomicFileError) {
        while fsync(fd) != 0 {
            if errno != EINTR { throw .writeFailed(path, reason: describe(errno)) }
        }
    }

    // MARK: Temporary names

    /// The marker between the output name and the owner's process id.
    static let marker = ".sqz-tmp."

    /// A fresh temporary name for `name` owned by this process.
    static func temporaryName(for name: String) -> String {
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        let padded = String(repeating: "0", count: 16 - random.count) + random
        return ".\(name)\(marker)\(getpid()).\(padded)"
    }

    /// The process id embedded in `candidate` when it is exactly one of our
    /// temporary names for `name` (see `AtomicFile`), else nil.
    static func temporaryOwner(of candidate: [UInt8], for name: String) -> pid_t? {
        let prefix = Array(".\(name)\(marker)".utf8)
        guard candidate.count > prefix.count, candidate.starts(with: prefix) else { return nil }
        let rest = candidate[prefix.count...]
        guard let dot = rest.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let digits = rest[..<dot], hex = rest[(dot + 1)...]
        guard (1...10).contains(digits.count), digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              hex.count == 16,
              hex.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                  || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }),
              let pid = Int32(String(decoding: digits, as: UTF8.self))
        else { return nil }
        return pid
    }

    /// Removes our temporary files for `name` whose writer has died. Best effort:
    /// a folder that cannot be listed is simply not cleaned.
    static func removeStaleTemporaries(in folder: Int32, for name: String) {
        let listing = dup(folder)
        guard listing >= 0 else { return }
        guard let stream = fdopendir(listing) else {
            close(listing)
            return
        }
        defer { closedir(stream) }
        // Names are compared and removed as raw bytes: a name that is not UTF-8
        // must not be "repaired" into one of ours.
        var stale: [[CChar]] = []
        while let entry = readdir(stream) {
            let raw: [CChar] = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                let chars = bytes.bindMemory(to: CChar.self)
                return Array(chars.prefix { $0 != 0 })
            }
            guard let pid = temporaryOwner(of: raw.map { UInt8(bitPattern: $0) }, for: name),
                  !isAlive(pid) else { continue }
            stale.append(raw + [0])
        }
        for entry in stale {
            var info = stat()
            guard fstatat(folder, entry, &info, AT_SYMLINK_NOFOLLOW) == 0,
                  info.st_mode & S_IFMT == S_IFREG else { continue }
            unlinkat(folder, entry, 0)
        }
    }

    /// Whether `pid` may be running: only "no such process" counts as dead
    /// (EPERM means it exists but belongs to someone else).
    static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }

    /// The system's one-line text for an errno value.
    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// `write(2)`: inside `AtomicFile` the name `write` means its own methods.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// Why an output file could not be written.
public enum AtomicFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The folder the file should go into does not exist (or is not a folder).
    case folderMissing(String)
    /// Creating, writing, syncing or renaming failed; `reason` is the system's
    /// one-line explanation, e.g. "No space left on device" or "Permission denied".
    case writeFailed(String, reason: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .folderMissing(let path): "cannot write \(path): its folder does not exist"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
