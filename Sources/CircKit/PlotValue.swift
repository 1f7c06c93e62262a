import CircLang
import Foundation

/// `plot(xs, ys, …)`: a line or scatter chart of one or more labelled series over shared x values.
/// Prints as a small character chart; `.svg(path)` and `.csv(path)` write it out; a notebook shows it inline.
final class PlotValue: NativeObject, Figure {
    /// The x values, shared by every series.
    let xs: [Double]
    /// The series: a label and one y per x (NaN: no point).
    let series: [(label: String, ys: [Double])]
    /// Lines through the points, or the points alone.
    let lines: Bool
    /// Title and axis labels.
    let title: String, xLabel: String, yLabel: String

    /// A chart of the series over `xs`.
    init(xs: [Double], series: [(label: String, ys: [Double])], lines: Bool, title: String, xLabel: String, yLabel: String) {
        (self.xs, self.series, self.lines, self.title, self.xLabel, self.yLabel) = (xs, series, lines, title, xLabel, yLabel)
    }

    var typeName: String { "plot" }
    var fieldNames: [String] { ["xs", "ys", "labels", "svg", "csv"] }

    /// The markers of the series in the terminal and the colours in SVG, in turn.
    private static let markers: [Character] = ["●", "○", "×", "+", "■", "◆"]
    private static let colours = ["rgb(33,102,172)", "rgb(214,96,77)", "rgb(27,120,55)", "rgb(118,42,131)", "rgb(191,129,45)", "rgb(77,77,77)"]
    /// The character grid of the terminal chart.
    private static let columns = 56, rows = 14

    /// The smallest and largest finite value, widened when they are equal, and narrowed to half
    /// the largest double each way so that their difference stays finite.
    private static func range(_ values: [Double]) -> (low: Double, high: Double) {
        let limit = Double.greatestFiniteMagnitude / 2
        let finite = values.filter(\.isFinite).map { min(max($0, -limit), limit) }
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        guard low == high else { return (low, high) }
        let margin = max(0.5, abs(low) * 1e-6)
        return (low - margin, high + margin)
    }

    /// Where `value` lies between `low` and `high`, 0…1 (halved first, so no difference overflows).
    private static func fraction(_ value: Double, _ low: Double, _ high: Double) -> Double {
        let f = (value / 2 - low / 2) / (high / 2 - low / 2)
        return f.isNaN ? 0 : min(max(f, 0), 1)
    }

    private var xRange: (low: Double, high: Double) { Self.range(xs) }
    private var yRange: (low: Double, high: Double) { Self.range(series.flatMap(\.ys)) }

    var summary: String {
        let (x0, x1) = xRange, (y0, y1) = yRange
        var grid = [[Character]](repeating: [Character](repeating: " ", count: Self.columns), count: Self.rows)
        for (k, s) in series.enumerated() {
            for (x, y) in zip(xs, s.ys) where x.isFinite && y.isFinite {
                let column = Int((Self.fraction(x, x0, x1) * Double(Self.columns - 1)).rounded())
                let row = Self.rows - 1 - Int((Self.fraction(y, y0, y1) * Double(Self.rows - 1)).rounded())
                grid[row][column] = Self.markers[k % Self.markers.count]
            }
        }
        let high = formatNumber(y1), low = formatNumber(y0), margin = max(high.count, low.count)
        var out = title.isEmpty ? [] : [title]
        for (r, line) in grid.enumerated() {
            let label = r == 0 ? high : r == Self.rows - 1 ? low : ""
            out.append(label.leftPadded(to: margin, with: " ") + " │" + String(line))
        }
        out.append(String(repeating: " ", count: margin) + " └" + String(repeating: "─", count: Self.columns))
        let left = formatNumber(x0), right = formatNumber(x1)
        out.append(String(repeating: " ", count: margin + 2) + left + right.leftPadded(to: Self.columns - left.count, with: " ")
                   + (xLabel.isEmpty ? "" : "  " + xLabel))
        if series.count > 1 || !series[0].label.isEmpty {
            out.append((yLabel.isEmpty ? "" : yLabel + ": ") + series.enumerated().map { "\(Self.markers[$0 % Self.markers.count]) \($1.label)" }.joined(separator: "  "))
        }
        return out.joined(separator: "\n")
    }

    func field(_ name: String) throws -> Value? {
        switch name {
        case "xs": return .list(xs.map { .number($0) })
        case "ys": return .list(series.map { .list($0.ys.map { .number($0) }) })
        case "labels": return .list(series.map { .string($0.label) })
        case "svg": return FigureFiles.writer("svg", "Writes the chart as SVG.") { self.svg }
        case "csv": return FigureFiles.writer("csv", "Writes the chart's points as CSV: x, then a column per series.") { self.csv }
        default: return nil
        }
    }

    /// A header of x and the series' labels, then a line per x.
    var csv: String {
        let header = (["x"] + series.enumerated().map { $1.label.isEmpty ? "y\($0 + 1)" : $1.label }).map(FigureFiles.csvField).joined(separator: ",")
        return ([header] + xs.indices.map { i in ([String(xs[i])] + series.map { $0.ys[i].isNaN ? "" : String($0.ys[i]) }).joined(separator: ",") })
            .joined(separator: "\n") + "\n"
    }

    var svg: String {
        let (x0, x1) = xRange, (y0, y1) = yRange
        let left = 70.0, top = 40.0, width = 480.0, height = 280.0, legendTop = top + height + 50
        func px(_ x: Double) -> Double { left + Self.fraction(x, x0, x1) * width }
        func py(_ y: Double) -> Double { top + height - Self.fraction(y, y0, y1) * height }
        var out = String(format: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
                         left + width + 30, legendTop + Double(series.count) * 16 + 10)
        out += "<text x=\"10\" y=\"20\" font-size=\"14\">\(SVG.escape(title))</text>\n"
        out += String(format: "<path d=\"M%.1f %.1f V%.1f H%.1f\" fill=\"none\" stroke=\"black\"/>\n", left, top, top + height, left + width)
        for k in 0...4 {
            let t = Double(k) / 4, x = x0 * (1 - t) + x1 * t, y = y0 * (1 - t) + y1 * t
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", px(x), top + height + 16, SVG.escape(formatNumber(Self.rounded(x))))
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n", left - 6, py(y) + 4, SVG.escape(formatNumber(Self.rounded(y))))
        }
        out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", left + width / 2, top + height + 34, SVG.escape(xLabel))
        out += String(format: "<text transform=\"translate(16,%.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", top + height / 2, SVG.escape(yLabel))
        for (k, s) in series.enumerated() {
            let colour = Self.colours[k % Self.colours.count]
            let points = zip(xs, s.ys).filter { $0.0.isFinite && $0.1.isFinite }.map { (px($0.0), py($0.1)) }
            if lines, points.count > 1 {
                out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"" + points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ") + "\"/>\n"
            }
            for (x, y) in points { out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x, y, colour) }
            out += String(format: "\n<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\">%@</text>\n",
                          left, legendTop + Double(k) * 16, colour, left + 18, legendTop + Double(k) * 16 + 10, SVG.escape(s.label))
        }
        return out + "</svg>\n"
    }

    /// A tick value to four significant digits.
    private static func rounded(_ value: Double) -> Double { Double(String(format: "%.4g", value)) ?? value }

    /// The `plot(xs, ys, labels, kind, title, x, y)` builtin.
    static func builtin() -> NativeFunction {
        NativeFunction("plot", [Parameter("xs", .list), Parameter("ys", .list), Parameter("labels", .list, default: .null),
                                Parameter("kind", .string, default: .string("line"), choices: ["line", "scatter"]),
                                Parameter("title", .string, default: .string("")), Parameter("x", .string, default: .string("")),
                                Parameter("y", .string, default: .string(""))],
                       returns: "plot",
                       doc: "A line (kind=\"line\") or scatter (\"scatter\") chart of ys over xs: ys a list of numbers, or a list of such lists for several series, named by labels. It prints as a small chart; .svg(path) and .csv(path) write it, and a notebook shows it inline. title, x and y label the chart and its axes; nil in ys leaves a point out.") { args, _ in
            let xs = try numbers(try args.list(0), what: "xs")
            let given = try args.list(1)
            let lists = given.allSatisfy { if case .list = $0 { true } else { false } } && !given.isEmpty ? given : [.list(given)]
            let ys = try lists.enumerated().map { k, value -> [Double] in
                guard case .list(let items) = value else { throw RuntimeError("plot: ys must hold numbers or lists of numbers, got \(value.repr)") }
                let series = try numbers(items, what: lists.count == 1 ? "ys" : "ys[\(k)]")
                guard series.count == xs.count else { throw RuntimeError("plot: \(lists.count == 1 ? "ys" : "ys[\(k)]") has \(series.count) values for \(xs.count) xs") }
                return series
            }
            let labels = args["labels"] == .null ? ys.map { _ in "" } : try args.list(2).map { if case .string(let s) = $0 { s } else { $0.description } }
            guard labels.count == ys.count else { throw RuntimeError("plot: labels has \(labels.count) entries for \(ys.count) series") }
            guard xs.contains(where: \.isFinite) else { throw RuntimeError("plot: xs holds no number") }
            let kind = try args.string("kind")
            guard kind == "line" || kind == "scatter" else { throw RuntimeError("plot: kind must be \"line\" or \"scatter\", got \"\(kind)\"") }
            return .native(PlotValue(xs: xs, series: zip(labels, ys).map { ($0, $1) }, lines: kind == "line",
                                     title: try args.string("title"), xLabel: try args.string("x"), yLabel: try args.string("y")))
        }
    }

    /// The numbers of a list (nil as NaN, a missing point), or an error naming the list.
    private static func numbers(_ items: [Value], what: String) throws -> [Double] {
        try items.enumerated().map { i, item in
            switch item {
            case .number(let x): return x
            case .null: return .nan
            default: throw RuntimeError("plot: \(what)[\(i)] is \(item.repr), not a number")
            }
        }
    }
}
