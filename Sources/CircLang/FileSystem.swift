import FileIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// File access used by the language: whole-file reads and atomic writes.
public enum FileSystem {
    /// The bytes of a file, or nil when it cannot be read.
    public static func readBytes(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data)
    }

    /// Writes bytes atomically (a temporary file beside the target, then a rename), making missing
    /// folders; the error names the path and the cause.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileError) {
        try AtomicFile.write(Data(bytes), to: path, createFolders: true)
    }

    /// Whether a regular file exists at the path.
    public static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The folder part of a path (`.` when there is none).
    public static func directory(of path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path
    }

    /// `path` resolved against `base` unless it is absolute.
    public static func join(_ base: String, _ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }
}
