import CircLang
import Foundation

/// A sweep's problem in plain words (a bad grid, a changed script, a failed submission).
public struct SweepError: Error, CustomStringConvertible {
    /// What went wrong and, where it helps, what to do.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}

/// The cells of a sweep: each is a record of named values, in a fixed order.
public struct SweepGrid {
    /// Each cell's values, names in grid order.
    public let cells: [Record]

    /// The product of `--grid name=v1,v2,…` flags (the first varies slowest), after the cells of a
    /// grid file: a JSON object of name → list of values (their product) or a list of records.
    public static func parse(flags: [String], file: String?) throws(SweepError) -> SweepGrid {
        var cells: [Record] = [Record([])]
        if let file { cells = try fileCells(file) }
        for flag in flags {
            let (name, values) = try axis(flag)
            cells = multiply(cells, name, values)
        }
        for cell in cells { try checkNames(cell, origin: file ?? "--grid") }
        guard !cells.isEmpty, !(cells.count == 1 && cells[0].fields.isEmpty) else {
            throw SweepError("the grid is empty: give --grid name=v1,v2,… or --grid-file")
        }
        return SweepGrid(cells: cells)
    }

    /// Each cell once per value of a new axis `name`, the cells varying slowest.
    private static func multiply(_ cells: [Record], _ name: String, _ values: [Value]) -> [Record] {
        cells.flatMap { cell in values.map { Record(cell.fields + [(name, $0)]) } }
    }

    /// One `name=v1,v2` flag: numbers parse as numbers, everything else stays a string.
    static func axis(_ flag: String) throws(SweepError) -> (String, [Value]) {
        guard let equals = flag.firstIndex(of: "=") else { throw SweepError("--grid \(flag): expected name=v1,v2,…") }
        let name = String(flag[..<equals]), text = flag[flag.index(after: equals)...]
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        if let empty = values.firstIndex(of: "") { throw SweepError("--grid \(flag): value \(empty + 1) is empty") }
        return (name, values.map { Double($0).flatMap { $0.isFinite ? Value.number($0) : nil } ?? .string($0) })
    }

    private static func fileCells(_ path: String) throws(SweepError) -> [Record] {
        guard let data = FileManager.default.contents(atPath: path) else { throw SweepError("cannot read the grid file '\(path)'") }
        let value: Value
        do { value = try JSONValues.decode(String(decoding: data, as: UTF8.self), path: path) } catch {
            throw SweepError("\(error)")
        }
        switch value {
        case .record(let axes):
            var cells = [Record([])]
            for (name, values) in axes.fields {
                guard case .list(let items) = values, !items.isEmpty else { throw SweepError("\(path): '\(name)' must be a non-empty list of values") }
                cells = multiply(cells, name, items)
            }
            return cells
        case .list(let items):
            return try items.enumerated().map { (i, item) throws(SweepError) in
                guard case .record(let cell) = item else { throw SweepError("\(path): cell \(i) is a \(item.typeName), not a record") }
                return cell
            }
        default:
            throw SweepError("\(path): expected an object of name → values, or a list of cell records")
        }
    }

    /// Names must be identifiers the script can write as `cell.name`, once each, and not `index`.
    private static func checkNames(_ cell: Record, origin: String) throws(SweepError) {
        var seen = Set<String>()
        for (name, _) in cell.fields {
            guard let first = name.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first),
                  name.unicodeScalars.allSatisfy({ $0 == "_" || CharacterSet.alphanumerics.contains($0) }) else {
                throw SweepError("\(origin): '\(name)' is not a name a script can use as cell.\(name)")
            }
            guard name != "index" else { throw SweepError("\(origin): 'index' is the cell's number; choose another name") }
            guard seen.insert(name).inserted else { throw SweepError("\(origin): '\(name)' is given twice") }
        }
    }
}
