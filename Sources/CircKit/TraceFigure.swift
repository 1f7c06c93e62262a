import Foundation

/// The picture of a trace: a row per attention block with a heatmap per head (queries down, keys
/// across, labelled by token), then a bar per target position for the expected token's probability.
struct TraceFigure {
    private let value: TraceValue
    /// Room for a token label, a heatmap cell's side, and the most positions on either side.
    private let label: Int, cell: Int, side: Int

    /// The figure of a trace.
    init(_ value: TraceValue) {
        self.value = value
        let sides = value.tokens.sides
        label = 10 + (sides.labels.map(\.count).max() ?? 1) * 6
        side = sides.longest
        cell = max(8, min(18, 220 / max(1, side)))
    }

    private var panelWidth: Int { label + side * cell + 20 }
    /// A block's row: its name, then per head a label, the key labels and the heatmap.
    private var rowHeight: Int { 16 + 16 + label + side * cell + 12 }

    /// The SVG document.
    var svg: String {
        let blocks = value.trace.attention, heads = blocks.map(\.heads).max() ?? 1
        let top = 34, chartTop = top + blocks.count * rowHeight, positions = value.expectedTokens.count
        let width = max(10 + heads * panelWidth, 80 + positions * 34), height = chartTop + 200
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"10\">\n"
        out += "<text x=\"10\" y=\"20\" font-size=\"14\">\(SVG.escape("trace of \(value.label): \(value.tokens.inputText) → \(value.output)"))</text>\n"
        for (b, block) in blocks.enumerated() {
            out += "<text x=\"10\" y=\"\(top + b * rowHeight + 12)\" font-size=\"12\" font-weight=\"bold\">\(SVG.escape(block.name))</text>\n"
            for head in 0..<block.heads {
                out += panel(block.name, head: head, matrix: block.matrix(head: head), x: 10 + head * panelWidth, y: top + b * rowHeight + 16)
            }
        }
        return out + probabilityChart(y: chartTop) + "</svg>\n"
    }

    /// One head's heatmap with its label and token labels, its top-left corner at (x, y).
    private func panel(_ block: String, head: Int, matrix: [[Float]], x: Int, y: Int) -> String {
        let queries = value.tokens.queries(block), keys = value.tokens.keys(block)
        let left = x + label, gridTop = y + 16 + label
        var out = "<text x=\"\(left)\" y=\"\(y + 12)\" font-size=\"11\">head \(head)</text>\n"
        for (j, key) in keys.enumerated() {
            out += "<text transform=\"translate(\(left + j * cell + cell / 2 + 3),\(gridTop - 4)) rotate(-60)\">\(SVG.escape(key))</text>\n"
        }
        for (i, query) in queries.enumerated() {
            out += "<text x=\"\(left - 4)\" y=\"\(gridTop + i * cell + cell / 2 + 3)\" text-anchor=\"end\">\(SVG.escape(query))</text>\n"
            for (j, weight) in matrix[i].enumerated() {
                out += String(format: "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%@\"><title>%@ → %@: %.3f</title></rect>",
                              left + j * cell, gridTop + i * cell, cell, cell, SVG.shade(Double(weight)), SVG.escape(query), SVG.escape(keys[j]), weight)
            }
            out += "\n"
        }
        return out
    }

    /// A bar per target position: the expected token's probability, the expected token under it,
    /// and the most likely token above it in red where it is another.
    private func probabilityChart(y: Int) -> String {
        let left = 60, barWidth = 34, chartHeight = 100, base = y + 30 + chartHeight
        var out = "<text x=\"10\" y=\"\(y + 14)\" font-size=\"11\">probability of the expected token at each target position (red: the most likely token, where it is another)</text>\n"
        out += "<line x1=\"\(left - 4)\" y1=\"\(base)\" x2=\"\(left + value.expectedTokens.count * barWidth)\" y2=\"\(base)\" stroke=\"black\"/>"
        out += "<text x=\"\(left - 8)\" y=\"\(base - chartHeight + 4)\" text-anchor=\"end\">1</text><text x=\"\(left - 8)\" y=\"\(base + 4)\" text-anchor=\"end\">0</text>\n"
        for (p, (expected, top)) in zip(value.expectedTokens, value.topTokens).enumerated() {
            let probability = Double(value.trace.probability(of: value.trace.expected[p], at: p))
            let x = left + p * barWidth, h = Int((probability * Double(chartHeight)).rounded())
            out += String(format: "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%@\"><title>%@: %.3f</title></rect>",
                          x + 3, base - h, barWidth - 6, h, SVG.shade(0.8), SVG.escape(expected), probability)
            out += "<text transform=\"translate(\(x + barWidth / 2 + 3),\(base + 10)) rotate(-60)\" text-anchor=\"end\">\(SVG.escape(expected))</text>\n"
            if top.token != expected {
                out += "<text x=\"\(x + barWidth / 2)\" y=\"\(base - h - 4)\" text-anchor=\"middle\" fill=\"rgb(178,24,43)\">\(SVG.escape(top.token))</text>\n"
            }
        }
        return out
    }
}
