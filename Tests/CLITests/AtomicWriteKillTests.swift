import Foundation
import TestSupport
import Testing

/// `kill -9` during `decode` never leaves a partial output, and leaves no
/// temporary file that outlives the next write (issue 19, item 4).
@Suite("A killed write leaves the output whole and no temporary file", .serialized)
struct AtomicWriteKillTests {
    /// When the child is killed.
    enum KillPoint {
        /// This many milliseconds after it starts.
        case after(milliseconds: Int)
        /// As soon as it holds a file open in the output folder (the write is under way).
        case whileWriting
    }

    /// Timed kills spread over a whole run (about 70 ms here, the write being
    /// its last few), then kills aimed at the write itself.
    static let points: [KillPoint] =
        [0, 5, 10, 20, 30, 40, 45, 50, 55, 60, 65, 70, 80, 100, 150, 300].map { .after(milliseconds: $0) }
        + Array(repeating: .whileWriting, count: 10)

    @Test("kill -9 at varied points of decode -o")
    func killedDecodes() throws {
        let folder = try SharedData.temporaryDirectory().resolvingSymlinksInPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("X.sqz"), output = folder.appendingPathComponent("OUT.sqz")
        let imported = try CommandRunner.run(["import", "--prototxt", SharedData.squeezeNetPrototxt.path,
                                              "--weights", SharedData.squeezeNetWeights.path, "-o", input.path])
        try #require(imported.status == 0, "import: \(imported.stderr)")
        let decodeArguments = ["decode", input.path, "-o", output.path, "--codec", "raw"]
        let complete = try CommandRunner.run(decodeArguments)
        try #require(complete.status == 0, "decode: \(complete.stderr)")
        let expected = try Data(contentsOf: output)
        let previous = Data("the previous output".utf8)

        var killedPids: Set<Int32> = [], killed = 0, killedWhileWriting = 0, strays = 0
        for (round, point) in Self.points.enumerated() {
            // Odd rounds replace an existing output, even rounds create it.
            let before: Data? = round % 2 == 1 ? previous : nil
            try? FileManager.default.removeItem(at: output)
            if let before { try before.write(to: output) }

            let child = Process()
            child.executableURL = CommandRunner.executable
            child.arguments = decodeArguments
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            let pid = child.processIdentifier
            switch point {
            case .after(let milliseconds):
                usleep(UInt32(milliseconds * 1000))
            case .whileWriting:
                if waitForWrite(by: pid, in: folder.path) { killedWhileWriting += 1 }
            }
            kill(pid, SIGKILL)
            child.waitUntilExit()
            if child.terminationReason == .uncaughtSignal { killed += 1 }
            killedPids.insert(pid)

            // The output is the old one (or still absent) or the complete new one, never partial.
            let now = try? Data(contentsOf: output)
            #expect(now == before || now == expected,
                    "round \(round) (\(point)): output of \(now?.count ?? -1) bytes")
            // Anything else must be a temporary of ours left by a killed run, which
            // only the link-to-rename window (microseconds) can leave with O_TMPFILE.
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
            where name != "X.sqz" && name != "OUT.sqz" {
                strays += 1
                #expect(Self.owner(ofTemporary: name).map(killedPids.contains) == true,
                        "round \(round) (\(point)): stray \(name)")
            }
        }
        // How many timed kills land before the run ends depends on the machine's speed.
        #expect(killed > 0, "no run was killed before it finished")
        #expect(killedWhileWriting > 0, "no kill landed while the output was being written")

        // The next complete write leaves exactly the output, whatever was killed before.
        let final = try CommandRunner.run(decodeArguments)
        #expect(final.status == 0, "decode: \(final.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["OUT.sqz", "X.sqz"])
        #expect(try Data(contentsOf: output) == expected)
        print("AtomicWriteKillTests: \(killed) of \(Self.points.count) runs killed, "
              + "\(killedWhileWriting) while writing, \(strays) temporary files seen after kills")
    }

    /// The process id in `name` if it is one of AtomicFile's temporary names for OUT.sqz.
    static func owner(ofTemporary name: String) -> Int32? {
        let prefix = ".OUT.sqz.sqz-tmp."
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 16,
              parts[1].allSatisfy({ "0123456789abcdef".contains($0) }) else { return nil }
        return Int32(parts[0])
    }

    /// Waits until `pid` has a file open in `folder` other than the input
    /// (an `O_TMPFILE` inode shows as `folder/#inode (deleted)`); false if it
    /// exits or two seconds pass first.
    func waitForWrite(by pid: Int32, in folder: String) -> Bool {
        let descriptors = "/proc/\(pid)/fd"
        let deadline = ContinuousClock.now + .seconds(2)
        var target = [CChar](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: descriptors) else { return false }
            for name in names {
                let count = readlink("\(descriptors)/\(name)", &target, target.count - 1)
                guard count > 0 else { continue }
                let path = String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if path.hasPrefix(folder + "/"), !path.hasSuffix("/X.sqz") { return true }
            }
            usleep(50)
        }
        return false
    }
}
