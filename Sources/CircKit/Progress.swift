import Foundation

/// A progress line for long work: a bar with rate and ETA redrawn in place on a terminal,
/// plain lines (at most one per `plainInterval` seconds) otherwise. Written to standard error.
public final class ProgressBar {
    private var title: String
    private var total: Int
    private var unit: String
    private var start = Date()
    /// Units already done when this run (or phase) began: the rate and ETA count only the rest.
    private var startDone: Int
    private let isTerminal: Bool
    private var lastPlain = Date.distantPast
    private let plainInterval: TimeInterval
    /// True while a bar is drawn on the terminal's current line.
    private var isDrawn = false

    /// A bar for `total` units of work, of which `alreadyDone` were done before (a resumed run);
    /// redrawn in place when standard error is a terminal (`terminal`), else in plain lines.
    public init(title: String, total: Int, unit: String = "steps", alreadyDone: Int = 0, plainInterval: TimeInterval = 10,
                terminal: Bool = isatty(2) != 0) {
        self.isTerminal = terminal
        self.title = title
        self.total = max(1, total)
        self.startDone = alreadyDone
        self.unit = unit
        self.plainInterval = plainInterval
    }

    /// Where progress goes instead of standard error when set (`circ serve` sends it as events):
    /// the bar's text, units done, units in all, and whether the work has finished.
    nonisolated(unsafe) public static var observer: ((_ text: String, _ done: Int, _ total: Int, _ finished: Bool) -> Void)?

    /// Shows `done` of `total` with extra fields (e.g. "loss 0.123").
    public func update(_ done: Int, _ detail: String = "") {
        let fraction = Double(done) / Double(total)
        let text = line(done, detail, elapsed: Date().timeIntervalSince(start))
        if let observer = Self.observer {
            observer(text, done, total, false)
        } else if isTerminal {
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(bar) \(text)".utf8))
            isDrawn = true
        } else if wouldShow(done) {
            lastPlain = Date()
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Whether `update(done)` now would show anything: always to an observer or on a terminal,
    /// otherwise only when a plain line is due (the last unit, or `plainInterval` since the last
    /// line). Work done only for the line (a held-out score) can be skipped when it would not.
    public func wouldShow(_ done: Int) -> Bool {
        Self.observer != nil || isTerminal || done == total || Date().timeIntervalSince(lastPlain) >= plainInterval
    }

    /// Shows `done` of `total` in a phase of the work. A new title restarts the rate and ETA from
    /// this report, as the work it reports was done before the phase's clock started.
    public func phase(_ title: String, done: Int, total: Int, unit: String, detail: String = "") {
        if title != self.title { (self.title, start, startDone) = (title, Date(), done) }
        (self.total, self.unit) = (max(1, total), unit)
        update(done, detail)
    }

    /// A line of its own about the work (to the observer when set, else standard error).
    public static func say(_ line: String) {
        if let observer { return observer(line, 0, 1, true) }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Ends the bar without a line of its own (the error thrown after it says what happened).
    public func clear() {
        if let observer = Self.observer { return observer("", total, total, true) }
        if isDrawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        isDrawn = false
    }

    /// Ends the bar with a final message line.
    public func finish(_ message: String) {
        if let observer = Self.observer { return observer(message, total, total, true) }
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").utf8))
        isDrawn = false
    }

    /// Work that stopped without `finish` (an error, Ctrl-C) leaves its last bar on its own line.
    deinit {
        if isDrawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// The bar's text for `done` units after `elapsed` seconds of this run.
    func line(_ done: Int, _ detail: String, elapsed: TimeInterval) -> String {
        let pace = Self.pace(done: workThisRun(done), left: total - done, elapsed: elapsed)
        let rate = pace.map { String(format: "%.1f", $0.rate) } ?? "–", eta = pace.map { Self.duration($0.eta) } ?? "?"
        return "\(title) \(done)/\(total) \(unit) \(String(format: "%3.0f%%", Double(done) / Double(total) * 100)) \(detail) \(rate) \(unit)/s ETA \(eta)"
    }

    /// The units of `done` that this run (or phase) did: what its rate and ETA are made of.
    func workThisRun(_ done: Int) -> Int { done - startDone }

    /// Units per second and seconds left, from the units done in `elapsed` seconds; nil until
    /// some work has been timed (a rate from nothing would be noise).
    static func pace(done: Int, left: Int, elapsed: TimeInterval) -> (rate: Double, eta: Double)? {
        guard done > 0, elapsed > 0 else { return nil }
        let rate = Double(done) / elapsed
        return (rate, Double(max(0, left)) / rate)
    }

    /// 75 → "1m15s".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
