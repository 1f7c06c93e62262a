import Foundation

/// Paths as circ prints them: relative to a folder the reader knows (the working directory, circ's
/// root, `$CIRC_MODELS`, `$CIRC_CACHE`, `~`), so printed output never holds the absolute paths of
/// the machine that printed it. The values themselves (`m.path`) keep the full path.
enum ShownPath {
    /// A model file: relative to the working directory, else `$CIRC_MODELS/…`, else relative to circ's root (`models/default.safetensors`).
    static func model(_ path: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        return shorten(path, under: [(FileManager.default.currentDirectoryPath, ""), (environment["CIRC_MODELS"], "$CIRC_MODELS/"),
                                     (Resources.projectRoot(), "")])
    }

    /// A circuit-cache entry: `$CIRC_CACHE/…` when that is set, else `~/…`.
    static func cacheEntry(_ path: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        return shorten(path, under: [(environment["CIRC_CACHE"], "$CIRC_CACHE/"), (environment["HOME"], "~/")])
    }

    /// `path` with the first folder it lies in replaced by that folder's label.
    private static func shorten(_ path: String, under folders: [(folder: String?, label: String)]) -> String {
        for (folder, label) in folders {
            guard let folder, !folder.isEmpty else { continue }
            let prefix = folder.hasSuffix("/") ? folder : folder + "/"
            if path.hasPrefix(prefix) { return label + path.dropFirst(prefix.count) }
        }
        return path
    }
}
