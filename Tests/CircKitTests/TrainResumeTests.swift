import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `train(..., resume=true)` after the process was killed with SIGKILL mid-run ends with the same
/// model file, byte for byte, as a run that was never stopped.
@Suite struct TrainResume {
    private let script = """
        d = dataset("copy", n=3000)
        m = train(d, layers=1, d=32, epochs=2, batch=16, out=args[0], checkpoint_every=0, resume=true)
        print(m.history)
        """

    /// Starts circ on `folder/train.circ` with `out` as its argument; standard error to `errors`.
    private func start(_ folder: String, _ out: String, errors: Any = FileHandle.nullDevice) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: circExecutable)
        process.arguments = ["\(folder)/train.circ", out]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return process
    }

    @Test func killedThenResumedEqualsStraight() throws {
        let folder = NSTemporaryDirectory() + "train-resume-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try script.write(toFile: "\(folder)/train.circ", atomically: true, encoding: .utf8)
        let (straight, resumed) = ("\(folder)/straight.safetensors", "\(folder)/resumed.safetensors")
        let first = try start(folder, straight)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)

        let killed = try start(folder, resumed)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: resumed + ".checkpoint") && killed.isRunning && Date() < deadline { usleep(2_000) }
        usleep(50_000)
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the run ended before it could be killed; the test proves nothing")
        #expect(FileManager.default.fileExists(atPath: resumed + ".checkpoint"))

        let again = try start(folder, resumed)
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
        let (a, b) = (FileManager.default.contents(atPath: straight), FileManager.default.contents(atPath: resumed))
        #expect(a != nil && a == b)
        #expect(!FileManager.default.fileExists(atPath: resumed + ".checkpoint"), "a finished run leaves no checkpoint")
    }

    /// A periodic checkpoint that cannot be written (here a folder is in its way) is reported once
    /// on standard error, and the run still ends with its model.
    @Test func anUnwritableCheckpointIsReportedOnce() throws {
        let folder = NSTemporaryDirectory() + "train-unwritable-\(UUID().uuidString)"
        let out = folder + "/m.safetensors"
        try FileManager.default.createDirectory(atPath: out + ".checkpoint/in-the-way", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "train(dataset(\"copy\", n=200), layers=1, d=16, epochs=1, batch=8, out=args[0], checkpoint_every=0)"
            .write(toFile: "\(folder)/train.circ", atomically: true, encoding: .utf8)
        let errors = Pipe(), process = try start(folder, out, errors: errors)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
        let warnings = stderr.components(separatedBy: "\n").filter { $0.contains("warning: train: could not write the checkpoint \(out).checkpoint") }
        #expect(warnings.count == 1, "\(stderr)")
    }
}
