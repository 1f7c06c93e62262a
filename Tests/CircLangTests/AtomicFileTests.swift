import Foundation
import Testing
@testable import FileIO

/// Whole-file writes: the file appears complete or not at all, and a write killed before its
/// rename leaves a temporary that the next write of the same file removes.
@Suite struct AtomicFileWrites {
    private func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aWriteLeavesTheFileAndNothingElse() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(Data("first".utf8), to: folder + "/a.txt")
        try AtomicFile.write(Data("second".utf8), to: folder + "/a.txt")
        #expect(try String(contentsOfFile: folder + "/a.txt", encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["a.txt"])
    }

    @Test func temporariesOfEndedProcessesAreRemovedOthersKept() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let (stale, live) = (AtomicFile.temporaryPath(folder + "/m.bin", process: ended.processIdentifier),
                             AtomicFile.temporaryPath(folder + "/m.bin", process: 1))
        for path in [stale, live] { FileManager.default.createFile(atPath: path, contents: Data("half".utf8)) }
        try AtomicFile.write(Data([1, 2, 3]), to: folder + "/m.bin")
        #expect(!FileManager.default.fileExists(atPath: stale), "the temporary of an ended process stays")
        #expect(FileManager.default.fileExists(atPath: live), "the temporary of a running process (pid 1) was removed")
        #expect(FileManager.default.contents(atPath: folder + "/m.bin") == Data([1, 2, 3]))
    }
}
