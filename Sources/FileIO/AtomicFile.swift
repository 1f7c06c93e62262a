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
        let temporary = temporaryPath(path, process: getpid())
        if let failure = writeAndRename(data, temporary, path) {
            unlink(temporary)
            throw FileError(description: "cannot write '\(path)': \(failure)")
        }
        removeStaleTemporaries(of: path)
    }

    /// Where a write to `path` by process `process` goes first: beside it, hidden, named after both.
    static func temporaryPath(_ path: String, process: pid_t) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(process)").path
    }

    /// Writes `data` to `temporary`, flushes it to the disk and renames it to `path`; nil, or the
    /// system's words for what failed.
    private static func writeAndRename(_ data: Data, _ temporary: String, _ path: String) -> String? {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return systemError() }
        let written = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
        let failure = written && fsync(descriptor) == 0 ? nil : systemError()
        close(descriptor)
        if let failure { return failure }
        return rename(temporary, path) == 0 ? nil : systemError()
    }

    /// Removes the temporaries of `path` that processes no longer running left (a write killed
    /// before its rename), so that a `kill -9` leaves nothing behind for long.
    private static func removeStaleTemporaries(of path: String) {
        let url = URL(fileURLWithPath: path), prefix = ".\(url.lastPathComponent).tmp-"
        let folder = url.deletingLastPathComponent().path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            guard let process = pid_t(name.dropFirst(prefix.count)), kill(process, 0) != 0, errno == ESRCH else { continue }
            unlink(folder + "/" + name)
        }
    }

    /// The operating system's words for the last failed call.
    private static func systemError() -> String { String(cString: strerror(errno)).lowercased() }

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
