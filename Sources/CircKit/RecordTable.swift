import CircLang
import Foundation

/// A list of records as a table: one row per record, one column per field of any record (in
/// first-seen order). `circ sweep` prints it as text, `circ serve` sends it as HTML.
public enum RecordTable {
    /// Every field name of any of the records, in first-seen order.
    static func columns(_ records: [Record]) -> [String] {
        var columns: [String] = []
        for record in records { for field in record.fields where !columns.contains(field.name) { columns.append(field.name) } }
        return columns
    }

    /// Aligned text columns, fractions with four decimals; empty for no records.
    public static func text(_ records: [Record]) -> String {
        let columns = columns(records)
        guard !columns.isEmpty else { return "" }
        let cells = records.map { row in columns.map { name in row[name].map(format) ?? "" } }
        let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
        func line(_ items: [String]) -> String {
            let padded = zip(items, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            return String(padded.reversed().drop { $0 == " " }.reversed()) + "\n"
        }
        return line(columns) + cells.map(line).joined()
    }

    /// An HTML table, or nil when the list holds anything but records (or nothing).
    static func html(_ items: [Value]) -> String? {
        var records: [Record] = []
        for item in items { guard case .record(let record) = item else { return nil }; records.append(record) }
        guard !records.isEmpty else { return nil }
        let columns = columns(records)
        let head = columns.map { "<th>\(SVG.escape($0))</th>" }.joined()
        let body = records.map { record in
            "<tr>" + columns.map { name in "<td>\(record[name].map { SVG.escape($0.description) } ?? "")</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        return "<table>\n<thead><tr>\(head)</tr></thead>\n<tbody>\n\(body)\n</tbody>\n</table>"
    }

    private static func format(_ value: Value) -> String {
        if case .number(let x) = value, x != x.rounded() { return String(format: "%.4f", x) }
        return value.description
    }
}
