import Foundation

/// Why a file could not be written or read, in plain words: the path and the cause.
public struct FileError: Error, CustomStringConvertible, Equatable {
    /// `cannot write 'a/b.csv': the folder 'a' does not exist`, and the like.
    public let description: String
}

/// Whole-file writes through a temporary file and a rename, so a reader never sees half a file.
public enum AtomicFile {
    /// Writes `data` to `path`; with `createFolders` the missing folders above it are made first.
    public static func write(_ data: Data, to path: String, createFolders: Bool = false) throws(FileError) {
        try checkWritable(path, createFolders: createFolders)
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw FileError(description: "cannot write '\(path)': \(cause(of: error))")
        }
    }

    /// Fails, in plain words, when `path` cannot be a file: an empty path, a folder, a missing or
    /// non-folder parent (made first with `createFolders`).
    public static func checkWritable(_ path: String, createFolders: Bool = false) throws(FileError) {
        func fail(_ cause: String) -> FileError { FileError(description: "cannot write '\(path)': \(cause)") }
        guard !path.isEmpty else { throw FileError(description: "cannot write a file with an empty path") }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { throw fail("it is a folder") }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            if createFolders {
                do { try manager.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch { throw fail("cannot create the folder '\(folder)': \(cause(of: error))") }
            }
            if !manager.fileExists(atPath: folder, isDirectory: &isDirectory) { throw fail("the folder '\(folder)' does not exist") }
            if !isDirectory.boolValue { throw fail("'\(folder)' is a file, not a folder") }
        }
    }

    /// The operating system's words for a Foundation file error (`Permission denied`, `No space left on device`).
    public static func cause(of error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code))).lowercased()
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))).lowercased() }
        switch nsError.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or folder"
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileWriteVolumeReadOnlyError: return "the volume is read-only"
        case NSFileWriteFileExistsError: return "a file of that name is in the way"
        default: return "the system refused it (code \(nsError.code))"
        }
    }
}
