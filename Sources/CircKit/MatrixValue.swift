import CircLang
import Foundation

/// A labelled matrix (overlaps, cross-task faithfulness): prints as a heatmap with Unicode
/// shading and the numbers; `.svg(path)` and `.csv(path)` write it out.
public final class MatrixValue: NativeObject, Figure {
    /// Row labels.
    public let rows: [String]
    /// Column labels.
    public let columns: [String]
    /// Values, rows × columns.
    public let values: [[Double]]
    /// What the numbers are, for titles.
    public let title: String
    /// For scores: the tokens each cell was scored on, rows × columns (nil for other matrices).
    public let counts: [[Int]]?
    /// Cells scored on fewer tokens than this are marked as resting on too little.
    public static let fewTokens = 50
    /// The columns printed at most (a block's activations have hundreds).
    static let printedColumns = 16

    /// A matrix, with the token count of each cell when its values are scores.
    public init(title: String, rows: [String], columns: [String], values: [[Double]], counts: [[Int]]? = nil) {
        self.title = title; self.rows = rows; self.columns = columns; self.values = values; self.counts = counts
    }

    /// Whether cell (i, j) was scored on fewer than `fewTokens` tokens.
    func isThin(_ i: Int, _ j: Int) -> Bool { (counts?[i][j]).map { $0 < Self.fewTokens } ?? false }

    public var typeName: String { "matrix" }
    public var count: Int? { values.count }
    public func element(at index: Int) throws -> Value { .list(values[index].map { .number($0) }) }
    public var fieldNames: [String] { ["rows", "columns", "values", "counts", "svg", "csv"] }

    private static let shades: [Character] = [" ", "░", "▒", "▓", "█"]

    public var summary: String {
        let shown = columns.prefix(Self.printedColumns)
        let cells = values.enumerated().map { i, row in
            row.prefix(shown.count).enumerated().map { j, v -> String in
                let shade = Self.shades[max(0, min(4, Int((v.isFinite ? v : 0) * 4 + 0.5)))]
                return String(repeating: shade, count: 2) + (v.isNaN ? "  – " : String(format: "%.2f", v)) + (isThin(i, j) ? "*" : "")
            }
        }
        // Wide enough for a head's name (`decoder.layers.1.cross_attention.head2`).
        let labelWidth = min(40, (rows.map(\.count).max() ?? 0) + 1)
        let cellWidth = max(7, min(12, (columns.map(\.count).max() ?? 0) + 1), (cells.joined().map(\.count).max() ?? 0) + 1)
        func fit(_ s: String, _ width: Int) -> String {
            s.count >= width ? String(s.prefix(width - 2)) + "… " : s.padding(toLength: width, withPad: " ", startingAt: 0)
        }
        var lines = [title, fit("", labelWidth) + shown.map { fit($0, cellWidth) }.joined()]
        for (label, row) in zip(rows, cells) { lines.append(fit(label, labelWidth) + row.map { fit($0, cellWidth) }.joined()) }
        if columns.count > shown.count { lines.append("… \(columns.count - shown.count) more columns (.values holds them all)") }
        if values.indices.contains(where: { i in values[i].indices.contains { isThin(i, $0) } }) {
            lines.append("* scored on fewer than \(Self.fewTokens) tokens (.counts has each cell's count; – none)")
        }
        return lines.joined(separator: "\n")
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "rows": return .list(rows.map { .string($0) })
        case "columns": return .list(columns.map { .string($0) })
        case "values": return .list(values.map { .list($0.map { .number($0) }) })
        case "counts": return counts.map { .list($0.map { .list($0.map { .number(Double($0)) }) }) } ?? .null
        case "svg": return FigureFiles.writer("svg", "Writes the matrix as an SVG heatmap.") { self.svg }
        case "csv": return FigureFiles.writer("csv", "Writes the matrix as CSV.") { self.csv }
        default: return nil
        }
    }

    /// The `matrix(values, rows, columns, title)` builtin: any table of numbers as a matrix value.
    static func builtin() -> NativeFunction {
        NativeFunction("matrix", [Parameter("values", .list), Parameter("rows", .list), Parameter("columns", .list),
                                  Parameter("title", .string, default: .string(""))],
                       returns: "matrix",
                       doc: "A matrix value (heatmap print, .svg, .csv) from a list of rows of numbers and their row and column labels.") { args, _ in
            let rows = try args.list(1).map(\.description), columns = try args.list(2).map(\.description)
            let values = try args.list(0).enumerated().map { i, row -> [Double] in
                guard case .list(let items) = row, items.count == columns.count else {
                    throw RuntimeError("matrix: row \(i) must be a list of \(columns.count) numbers (one per column), got \(row.repr)")
                }
                return try items.map { item -> Double in
                    guard case .number(let x) = item else { throw RuntimeError("matrix: row \(i) holds \(item.repr), not a number") }
                    return x
                }
            }
            guard values.count == rows.count else { throw RuntimeError("matrix: \(values.count) rows of values but \(rows.count) row labels") }
            return .native(MatrixValue(title: try args.string(3), rows: rows, columns: columns, values: values))
        }
    }

    /// Comma-separated with full labels: a header row of column labels, or, for scores, one line
    /// per cell (`row,column,value,tokens`).
    var csv: String {
        let field = FigureFiles.csvField
        if let counts {
            return (["row,column,value,tokens"] + rows.indices.flatMap { i in
                columns.indices.map { j in [field(rows[i]), field(columns[j]), values[i][j].isNaN ? "" : String(values[i][j]), String(counts[i][j])].joined(separator: ",") }
            }).joined(separator: "\n") + "\n"
        }
        return ([([""] + columns).map(field).joined(separator: ",")] + zip(rows, values).map { label, row in
            ([field(label)] + row.map { String($0) }).joined(separator: ",")
        }).joined(separator: "\n") + "\n"
    }

    /// A heatmap: cells shaded white → blue by value in [0, 1], labels, numbers and a colour bar.
    var svg: String {
        // Room for the longest row label at about 6.5 px a character.
        let cell = 48, left = max(170, 12 + (rows.map(\.count).max() ?? 0) * 13 / 2), top = 150, bar = 16
        let thin = values.indices.contains { i in values[i].indices.contains { isThin(i, $0) } }
        let width = left + cell * columns.count + 90, height = top + cell * rows.count + (thin ? 50 : 30)
        let colour = SVG.shade
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<text x=\"10\" y=\"20\" font-size=\"14\">\(SVG.escape(title))</text>\n"
        for (j, label) in columns.enumerated() {
            let x = left + j * cell + cell / 2
            out += "<text transform=\"translate(\(x),\(top - 6)) rotate(-60)\">\(SVG.escape(label))</text>\n"
        }
        for (i, label) in rows.enumerated() {
            let y = top + i * cell
            out += "<text x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\">\(SVG.escape(label))</text>\n"
            for (j, v) in values[i].enumerated() {
                let x = left + j * cell
                out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(colour(v))\" stroke=\"white\"/>"
                out += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" fill=\"\(v > 0.6 ? "white" : "black")\">\(v.isNaN ? "–" : String(format: "%.2f", v))\(isThin(i, j) ? "*" : "")</text>\n"
            }
        }
        let barX = left + cell * columns.count + 20
        for k in 0..<10 {
            let v = 1 - Double(k) / 9
            out += "<rect x=\"\(barX)\" y=\"\(top + k * bar)\" width=\"\(bar)\" height=\"\(bar)\" fill=\"\(colour(v))\"/>\n"
        }
        out += "<text x=\"\(barX + bar + 4)\" y=\"\(top + 10)\">1</text><text x=\"\(barX + bar + 4)\" y=\"\(top + 10 * bar)\">0</text>\n"
        if thin { out += "<text x=\"10\" y=\"\(height - 10)\">* scored on fewer than \(Self.fewTokens) tokens</text>\n" }
        out += "</svg>\n"
        return out
    }
}
