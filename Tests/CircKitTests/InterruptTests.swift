import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The REPL on a pseudo-terminal, fed keystrokes and sent SIGINT as Ctrl-C would.
private final class TerminalSession {
    let process = Process()
    private let master: Int32
    private(set) var screen = ""

    init() throws {
        // posix_openpt, unlockpt and ptsname by hand (Glibc's Swift module leaves them out):
        // Linux's TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, unsigned int).
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw POSIXError(.ENOTTY)
        }
        let terminal = try #require(FileHandle(forUpdatingAtPath: "/dev/pts/\(number)"))
        process.executableURL = URL(fileURLWithPath: circExecutable)
        process.environment = ["HOME": NSTemporaryDirectory(), "TERM": "xterm", "PATH": "/usr/bin:/bin"]
        (process.standardInput, process.standardOutput, process.standardError) = (terminal, terminal, terminal)
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
    }

    func type(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count - 1) } }

    func pressCtrlC() { kill(process.processIdentifier, SIGINT) }

    /// Reads until the screen's text after `from` contains `text`, or ten seconds pass.
    @discardableResult
    func wait(for text: String, after from: String.Index? = nil) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if screen[(from ?? screen.startIndex)...].contains(text) { return true }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            var bytes = [UInt8](repeating: 0, count: 4096)
            let count = read(master, &bytes, bytes.count)
            if count <= 0 { break }
            screen += String(decoding: bytes.prefix(count), as: UTF8.self)
        }
        return screen[(from ?? screen.startIndex)...].contains(text)
    }
}

@Suite struct Interrupts {
    @Test func ctrlCAtThePromptAbandonsTheTypedLine() throws {
        let session = try TerminalSession()
        #expect(session.wait(for: "circ> "))
        session.type("abc")
        #expect(session.wait(for: "abc"))
        let mark = session.screen.endIndex
        session.pressCtrlC()
        #expect(session.wait(for: "^C", after: mark))
        #expect(session.wait(for: "circ> ", after: mark))
        let next = session.screen.endIndex
        session.type("1 + 41\r")
        #expect(session.wait(for: "42", after: next))
        #expect(!session.screen.contains("abc1"))
        session.type(":quit\r")
    }

    @Test func ctrlCStopsRunningCodeAndReturnsToThePrompt() throws {
        let session = try TerminalSession()
        #expect(session.wait(for: "circ> "))
        session.type("x = 0; while true { x = x + 1 }\r")
        Thread.sleep(forTimeInterval: 0.5)
        let mark = session.screen.endIndex
        session.pressCtrlC()
        #expect(session.wait(for: "error: interrupted", after: mark))
        let next = session.screen.endIndex
        session.type("x > 0\r")
        #expect(session.wait(for: "true", after: next))
        session.type(":quit\r")
    }

    @Test func ctrlCDuringDiscoverySaysSoOnce() throws {
        let session = try TerminalSession()
        #expect(session.wait(for: "circ> "))
        session.type("c = discover(model(), \"copy\", method=\"cs\", cache=false)\r")
        #expect(session.wait(for: "discover copy"))
        let mark = session.screen.endIndex
        session.pressCtrlC()
        #expect(session.wait(for: "circ> ", after: mark))
        let said = session.screen[mark...].components(separatedBy: "no circuit was bound").count - 1
        #expect(said == 1, "\(session.screen[mark...])")
        session.type(":quit\r")
    }
}
