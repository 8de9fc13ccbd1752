import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `squeeze-compress` executable and captures what it prints.
public enum CommandRunner {
    /// What one run produced.
    public struct Output: Sendable {
        /// The exit status.
        public var status: Int32
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String

        /// The signal that ended the process (a crash: 4 SIGILL for a Swift
        /// trap, 6 SIGABRT, 11 SIGSEGV; 9 SIGKILL from the watchdog), or nil
        /// when it exited. Foundation reports such a process's `status` as the
        /// signal number, so check this before reading `status` as an exit code.
        public var signal: Int32? = nil
        /// Whether the watchdog of ``CommandRunner/run(_:addressSpaceLimitKiB:timeout:)``
        /// killed the process.
        public var timedOut = false
        /// Wall-clock seconds from launch to exit.
        public var seconds: Double = 0

        /// The non-empty lines of standard error.
        public var errorLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// The executable next to the test bundle (both live in the build's products folder).
    public static let executable: URL = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("squeeze-compress")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        for configuration in ["release", "debug"] {
            let candidate = SharedData.packageRoot.appendingPathComponent(".build/\(configuration)/squeeze-compress")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return SharedData.packageRoot.appendingPathComponent(".build/debug/squeeze-compress")
    }()

    /// Runs the tool with `arguments` and waits for it.
    public static func run(_ arguments: [String]) throws -> Output {
        try launch(executable, arguments, timeout: nil)
    }

    /// Runs the tool with `arguments` as a careful user's shell would: under
    /// `ulimit -v addressSpaceLimitKiB` (when given; through `/bin/sh`, which
    /// sets the limit and then `exec`s the tool, so the tool is the process
    /// waited for) and killed with SIGKILL if it is still running after
    /// `timeout` seconds, so that a hang fails a test instead of hanging it.
    ///
    /// A kill shows as `timedOut` with `signal` 9.
    public static func run(_ arguments: [String], addressSpaceLimitKiB: Int?,
                           timeout: TimeInterval) throws -> Output {
        guard let kib = addressSpaceLimitKiB else { return try launch(executable, arguments, timeout: timeout) }
        // "$0" is the tool, "$@" its arguments: nothing is parsed by the shell.
        let script = "ulimit -v \(kib) && exec \"$0\" \"$@\""
        return try launch(URL(fileURLWithPath: "/bin/sh"), ["-c", script, executable.path] + arguments,
                          timeout: timeout)
    }

    /// Starts `program`, collects both pipes, and waits for it, killing it
    /// after `timeout` seconds when one is given.
    private static func launch(_ program: URL, _ arguments: [String], timeout: TimeInterval?) throws -> Output {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let start = DispatchTime.now()
        try process.run()
        let exited = DispatchSemaphore(value: 0)
        let watchdog = Watchdog()
        if let timeout {
            let pid = process.processIdentifier
            let thread = Thread {
                guard exited.wait(timeout: .now() + timeout) == .timedOut else { return }
                watchdog.fire()
                // `exited` is signalled right after waitUntilExit returns, so
                // the pid still names the tool here, short of a process that
                // exits in the microseconds between that wait and this kill.
                _ = kill(pid, SIGKILL)
            }
            thread.start()
        }
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        exited.signal()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        while !errReader.isFinished { usleep(1000) }
        let signalled = process.terminationReason == .uncaughtSignal
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      signal: signalled ? process.terminationStatus : nil,
                      timedOut: watchdog.fired,
                      seconds: seconds)
    }

    /// Whether the watchdog fired, shared between its thread and the caller.
    private final class Watchdog: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false

        func fire() { lock.withLock { value = true } }
        var fired: Bool { lock.withLock { value } }
    }
}
