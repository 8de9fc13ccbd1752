import Foundation

/// A one-line progress bar on standard error, drawn only on a terminal;
/// elsewhere (logs, scripts) each phase that completes writes one line instead.
///
/// Redraws at most ten times a second so it costs nothing on fast loops; safe to
/// call from several threads.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private let logs: Bool
    private let start = Date()
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var finished = false
    private var reached = 0

    /// A bar for `total` steps; disabled when standard error is not a terminal or `quiet`.
    init(_ label: String, total: Int, quiet: Bool = false) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = !quiet && Terminal.standardErrorIsTerminal
        self.logs = !quiet && !Terminal.standardErrorIsTerminal
    }

    /// Shows `done` of `total` steps with an optional status (e.g. `top1 0.641`).
    func update(_ done: Int, status: String = "") {
        lock.lock()
        defer { lock.unlock() }
        reached = max(reached, done)
        guard enabled else { return }
        let now = Date()
        guard !finished, done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let stats = String(format: " %d/%d %5.1f%% %.1f/s ETA %@", done, total,
                           100 * Double(done) / Double(total), rate, Self.clock(eta))
        let suffix = stats + (status.isEmpty ? "" : "  " + status)
        let width = max(10, min(40, Terminal.columns - label.count - suffix.count - 4))
        let filled = min(width, width * done / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        Terminal.writeError("\r\u{1B}[2K\(label) \(bar)\(suffix)")
    }

    /// Clears the bar so following output starts on a clean line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if !finished, enabled { Terminal.writeError("\r\u{1B}[2K") }
        // Only a phase that got to its end says so (an error is the last line otherwise).
        if !finished, logs, reached >= total {
            Terminal.writeError(String(format: "%@: done in %.1f s\n", label, Date().timeIntervalSince(start)))
        }
        finished = true
    }

    private static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
