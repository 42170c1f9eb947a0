import Foundation

/// A one-line progress bar with throughput and time left, redrawn in place on a terminal.
public struct ProgressBar {
    private let total: Int
    private let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast

    /// A bar for `total` items, prefixed by `label`.
    public init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    /// Whether standard output is a terminal (bars are drawn only then).
    public static var isTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// Redraws the bar for `done` items (at most ten times a second), with `extra` text after it.
    public mutating func update(_ done: Int, extra: String = "") {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %@ %d/%d  %.0f img/s  ETA %@ %@", label, bar, done, total, rate,
                          ProgressBar.clock(remaining), extra)
        FileHandle.standardOutput.write(Data((line + "\u{1B}[K").utf8))
    }

    /// Erases the bar so the next line starts clean.
    public func clear() {
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    }

    /// Seconds as m:ss.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
