import Foundation

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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
