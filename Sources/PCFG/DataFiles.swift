import FileIO
import Foundation

/// Reading and writing datasets as `.src`/`.tgt` line pairs or `src;tgt` CSV.
public enum DataFiles {
    /// Reads `X.src` and `X.tgt` (line i of one pairs with line i of the other).
    public static func readPair(source: String, target: String) throws(PCFGError) -> [Sample] {
        let sources = try readLines(source), targets = try readLines(target)
        guard sources.count == targets.count else {
            throw PCFGError.invalid("\(source) has \(sources.count) lines but \(target) has \(targets.count)")
        }
        return zip(sources, targets).map { Sample(source: $0, target: $1) }
    }

    /// Reads `src;tgt` lines; a line without `;` is an error naming it.
    public static func readCSV(_ path: String) throws(PCFGError) -> [Sample] { try readSeparated(path, by: ";", shown: ";") }

    /// Reads `src<TAB>tgt` lines; a line without a tab is an error naming it.
    public static func readTSV(_ path: String) throws(PCFGError) -> [Sample] { try readSeparated(path, by: "\t", shown: "<TAB>") }

    /// Reads lines of a source and a target split at the first `separator`.
    private static func readSeparated(_ path: String, by separator: Character, shown: String) throws(PCFGError) -> [Sample] {
        var samples: [Sample] = []
        for (i, line) in try readLines(path).enumerated() {
            let parts = line.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw PCFGError.invalid("\(path):\(i + 1): expected 'source\(shown)target'") }
            samples.append(Sample(source: String(parts[0]), target: String(parts[1])))
        }
        return samples
    }

    /// Reads a dataset from `X.src`/`X.tgt` (given either name or the stem), a `.csv` or a `.tsv` file.
    public static func read(_ path: String) throws(PCFGError) -> [Sample] {
        if path.hasSuffix(".csv") { return try readCSV(path) }
        if path.hasSuffix(".tsv") { return try readTSV(path) }
        let stem = path.hasSuffix(".src") || path.hasSuffix(".tgt") ? String(path.dropLast(4)) : path
        return try readPair(source: stem + ".src", target: stem + ".tgt")
    }

    /// Writes `stem.src` and `stem.tgt` atomically.
    public static func writePair(_ samples: [Sample], stem: String) throws(PCFGError) {
        try write(samples.map(\.source), to: stem + ".src")
        try write(samples.map(\.target), to: stem + ".tgt")
    }

    /// Writes `src;tgt` lines atomically.
    public static func writeCSV(_ samples: [Sample], to path: String) throws(PCFGError) {
        try write(samples.map { "\($0.source);\($0.target)" }, to: path)
    }

    private static func write(_ lines: [String], to path: String) throws(PCFGError) {
        do throws(FileError) {
            try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path, createFolders: true)
        } catch {
            throw PCFGError.invalid(error.description)
        }
    }

    private static func readLines(_ path: String) throws(PCFGError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw PCFGError.invalid("cannot read \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw PCFGError.invalid("\(path) is not valid UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
