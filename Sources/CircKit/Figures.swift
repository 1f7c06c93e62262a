import CircLang
import FileIO
import Foundation

/// A value with a picture: `circ serve` sends it as image/svg+xml, so a notebook shows it inline.
protocol Figure {
    /// The picture as an SVG document.
    var svg: String { get }
}

/// SVG pieces shared by the figures.
enum SVG {
    /// Text made safe inside an SVG (or HTML) element.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The fill of a heatmap cell: white at 0 (and below) to blue at 1 (and above).
    static func shade(_ value: Double) -> String {
        let t = max(0, min(1, value.isFinite ? value : 0))
        return String(format: "rgb(%d,%d,%d)", Int(255 - 222 * t), Int(255 - 153 * t), Int(255 - 75 * t))
    }

    /// One horizontal stacked bar per row (a block of a model), its segments `counts` out of `size`
    /// units, coloured as the legend says: the drawing behind circuits' and diffs' figures.
    static func stackedBars(legend: [(label: String, colour: String)], rows: [(name: String, counts: [Int], size: Int)]) -> String {
        let left = 260, barWidth = 400, row = 24, top = 50
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(left + barWidth + 20)\" height=\"\(top + row * rows.count + 20)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        for (i, (label, colour)) in legend.enumerated() {
            out += "<rect x=\"\(10 + i * 220)\" y=\"12\" width=\"12\" height=\"12\" fill=\"\(colour)\"/><text x=\"\(26 + i * 220)\" y=\"22\">\(escape(label))</text>\n"
        }
        for (i, block) in rows.enumerated() {
            let y = top + i * row
            out += "<text x=\"\(left - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(block.name))</text>\n"
            var x = Double(left)
            for (count, colour) in zip(block.counts, legend.map(\.colour)) {
                let w = Double(count) / Double(max(1, block.size)) * Double(barWidth)
                out += String(format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%@\"/>", x, y, w, colour)
                x += w
            }
            out += "\n"
        }
        return out + "</svg>\n"
    }
}

/// Writing figures and tables to files, as their `.svg(path)` and `.csv(path)` methods do.
enum FigureFiles {
    /// A method value `name(path)` that writes `text()` to path atomically.
    static func writer(_ name: String, _ doc: String, _ text: @escaping () -> String) -> Value {
        .builtin(NativeFunction(name, [Parameter("path", .string)], returns: "nil", doc: doc) { args, _ in
            let path = try args.string(0)
            do throws(FileError) { try FileSystem.writeAtomically(Array(text().utf8), to: path) } catch { throw RuntimeError(error.description) }
            return .null
        })
    }

    /// A CSV field: quoted when it holds a comma, a quote or a newline.
    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
