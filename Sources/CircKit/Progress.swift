import Foundation

/// A progress line for long work: a bar with rate and ETA redrawn in place on a terminal,
/// plain lines (at most one per `plainInterval` seconds) otherwise. Written to standard error.
public final class ProgressBar {
    private var title: String
    private var total: Int
    private var unit: String
    private var start = Date()
    private let isTerminal = isatty(2) != 0
    private var lastPlain = Date.distantPast
    private let plainInterval: TimeInterval
    /// True while a bar is drawn on the terminal's current line.
    private var isDrawn = false

    /// A bar for `total` units of work.
    public init(title: String, total: Int, unit: String = "steps", plainInterval: TimeInterval = 10) {
        self.title = title
        self.total = max(1, total)
        self.unit = unit
        self.plainInterval = plainInterval
    }

    /// Shows `done` of `total` with extra fields (e.g. "loss 0.123").
    public func update(_ done: Int, _ detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let fraction = Double(done) / Double(total)
        let text = "\(title) \(done)/\(total) \(unit) \(String(format: "%3.0f%%", fraction * 100)) \(detail) \(String(format: "%.1f", rate)) \(unit)/s ETA \(Self.duration(eta))"
        if isTerminal {
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(bar) \(text)".utf8))
            isDrawn = true
        } else if Date().timeIntervalSince(lastPlain) >= plainInterval || done == total {
            lastPlain = Date()
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Shows `done` of `total` in a phase of the work (a new title restarts the rate and ETA).
    public func phase(_ title: String, done: Int, total: Int, unit: String, detail: String = "") {
        if title != self.title { (self.title, start) = (title, Date()) }
        (self.total, self.unit) = (max(1, total), unit)
        update(done, detail)
    }

    /// Ends the bar with a final message line.
    public func finish(_ message: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").utf8))
        isDrawn = false
    }

    /// Work that stopped without `finish` (an error, Ctrl-C) leaves its last bar on its own line.
    deinit {
        if isDrawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// 75 → "1m15s".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
