import Foundation
import Testing
import TestSupport

@_spi(Testing) import SqueezeCompress

/// The names in `folder`, sorted.
private func listing(_ folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
}

/// The permission bits of the file at `url`.
private func permissions(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// The process's umask, read without changing it (`umask()` sets it for every
/// thread, and tests run in parallel).
private func currentUmask() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("Umask:") {
        return Int(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8)
    }
    return nil
}

/// A process id that is certainly not running: above the largest `pid_max` Linux allows (2^22).
private let deadPid = (1 << 22) + 1

/// The id of a child process that has exited and been reaped.
private func finishedChildPid() throws -> Int32 {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/sh")
    child.arguments = ["-c", "exit 0"]
    try child.run()
    child.waitUntilExit()
    return child.processIdentifier
}

private let hex = "0123456789abcdef"

@Suite("Atomic output files")
struct AtomicFileTests {
    @Test("writes a new file, and the folder holds exactly the output", arguments: AtomicFile.Strategy.allTested)
    func writesNewFile(strategy: AtomicFile.Strategy) throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.sqz")
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(bytes, to: output, strategy: strategy)
        #expect(try Data(contentsOf: output) == Data(bytes))
        #expect(try listing(folder) == ["out.sqz"])
        if let mask = currentUmask() {
            #expect(try permissions(output) == 0o666 & ~mask)
        }
    }

    @Test("overwrites an existing file with a fresh one of normal permissions", arguments: AtomicFile.Strategy.allTested)
    func overwrites(strategy: AtomicFile.Strategy) throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.sqz")
        try Data(repeating: 7, count: 1_000_000).write(to: output)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: output.path)
        try AtomicFile.write(Data("short".utf8), to: output, strategy: strategy)
        #expect(try Data(contentsOf: output) == Data("short".utf8))
        #expect(try listing(folder) == ["out.sqz"])
        if let mask = currentUmask() {
            #expect(try permissions(output) == 0o666 & ~mask)
        }
    }

    @Test("the public Data and byte-array entry points, and an empty file")
    func publicEntryPoints() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a.tsv"), b = folder.appendingPathComponent("b.svg")
        try AtomicFile.write(Data("x\ty\n".utf8), to: a)
        try AtomicFile.write([UInt8]("<svg/>".utf8), to: b)
        #expect(try String(contentsOf: a, encoding: .utf8) == "x\ty\n")
        #expect(try String(contentsOf: b, encoding: .utf8) == "<svg/>")
        try AtomicFile.write(Data(), to: a)
        #expect(try Data(contentsOf: a).isEmpty)
        #expect(try listing(folder) == ["a.tsv", "b.svg"])
    }

    @Test("a missing folder, or a file where the folder should be, is folderMissing")
    func missingFolder() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("nope/out.sqz")
        #expect(throws: AtomicFileError.folderMissing(missing.path)) {
            try AtomicFile.write(Data([1]), to: missing)
        }
        let file = folder.appendingPathComponent("file")
        try Data([0]).write(to: file)
        let underFile = file.appendingPathComponent("out.sqz")
        #expect(throws: AtomicFileError.folderMissing(underFile.path)) {
            try AtomicFile.write(Data([1]), to: underFile)
        }
        #expect(try listing(folder) == ["file"])
    }

    // Root ignores folder permissions, so the case says nothing when run as root.
    @Test("an unwritable folder fails in one line and leaves nothing",
          .enabled(if: geteuid() != 0, "root may write into a read-only folder"),
          arguments: AtomicFile.Strategy.allTested)
    func unwritableFolder(strategy: AtomicFile.Strategy) throws {
        let folder = try SharedData.temporaryDirectory()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            try? FileManager.default.removeItem(at: folder)
        }
        let output = folder.appendingPathComponent("out.sqz")
        try Data("old".utf8).write(to: output)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        let error = #expect(throws: AtomicFileError.self) {
            try AtomicFile.write(Data("new".utf8), to: output, strategy: strategy)
        }
        #expect(error == .writeFailed(output.path, reason: "Permission denied"))
        #expect(error.map { !String(describing: $0).contains("\n") } == true)
        #expect(try Data(contentsOf: output) == Data("old".utf8))
        #expect(try listing(folder) == ["out.sqz"])
    }

    @Test("a folder in the output's place fails and is left as it was", arguments: AtomicFile.Strategy.allTested)
    func outputIsFolder(strategy: AtomicFile.Strategy) throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.sqz")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: false)
        #expect(throws: AtomicFileError.writeFailed(output.path, reason: "Is a directory")) {
            try AtomicFile.write(Data("new".utf8), to: output, strategy: strategy)
        }
        #expect(try listing(folder) == ["out.sqz"])
        #expect(try listing(output) == [])
    }

    @Test("a temporary file of a dead writer is removed by the next write to that output")
    func removesStaleTemporaries() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.sqz")
        let stale = [
            ".out.sqz.sqz-tmp.\(deadPid).\(hex)",
            ".out.sqz.sqz-tmp.\(try finishedChildPid()).00000000deadbeef",
        ]
        for name in stale {
            try Data(repeating: 1, count: 4096).write(to: folder.appendingPathComponent(name))
        }
        try AtomicFile.write(Data("new".utf8), to: output)
        #expect(try listing(folder) == ["out.sqz"])
    }

    @Test("live writers' temporaries and files that merely look similar are left alone")
    func leavesOthersAlone() throws {
        let folder = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.sqz")
        let kept = [
            ".out.sqz.sqz-tmp.\(getpid()).\(hex)",              // ours, and we are alive
            ".out.sqz.sqz-tmp.1.\(hex)",                          // init is alive
            ".other.sqz.sqz-tmp.\(deadPid).\(hex)",               // another output's
            ".out.sqz.sqz-tmp.0\(deadPid).\(hex)",                // leading zero
            ".out.sqz.sqz-tmp.\(deadPid).\(hex.uppercased())",    // not lowercase
            ".out.sqz.sqz-tmp.\(deadPid).\(hex.dropLast())",      // 15 digits
            ".out.sqz.sqz-tmp.\(deadPid).\(hex).bak",             // trailing text
            ".out.sqz.sqz-tmp.-5.\(hex)",                         // not a pid
            ".out.sqz.sqz-tmp.99999999999.\(hex)",                // too many digits
            "out.sqz.sqz-tmp.\(deadPid).\(hex)",                  // no leading dot
            ".out.sqz.\(UUID().uuidString).tmp",                  // someone else's naming
            ".hidden",
        ]
        for name in kept {
            try Data("keep".utf8).write(to: folder.appendingPathComponent(name))
        }
        // A folder with our pattern is not a file we made.
        let folderLike = ".out.sqz.sqz-tmp.\(deadPid).fedcba9876543210"
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(folderLike),
                                                withIntermediateDirectories: false)
        try AtomicFile.write(Data("new".utf8), to: output)
        #expect(try listing(folder) == (kept + [folderLike, "out.sqz"]).sorted())
        for name in kept {
            #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == Data("keep".utf8))
        }
    }

    @Test("errors read as one line naming the file")
    func descriptions() {
        #expect(AtomicFileError.folderMissing("/a/b.sqz").description == "cannot write /a/b.sqz: its folder does not exist")
        #expect(AtomicFileError.writeFailed("/a/b.sqz", reason: "No space left on device").description
            == "cannot write /a/b.sqz: No space left on device")
    }
}

extension AtomicFile.Strategy {
    /// Both ways of making the temporary file.
    static let allTested: [AtomicFile.Strategy] = [.automatic, .named]
}
