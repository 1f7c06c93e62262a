import CircLang
import Foundation
import Pruning

/// `diff(a, b)`: per block the units in both circuits, only in a, only in b. Prints a bar per block
/// (coloured on a terminal); `.svg(path)` and `.csv(path)` write it out; `.blocks` holds the counts.
public final class DiffValue: NativeObject, Figure {
    /// The two circuits' labels.
    public let labels: (a: String, b: String)
    /// Per block: name, units in both, only in a, only in b, block size.
    public let blocks: [(name: String, both: Int, onlyThis: Int, onlyOther: Int, size: Int)]

    /// The difference of two circuits of one model.
    public init(_ a: CircuitValue, _ b: CircuitValue) throws {
        let names = CircuitLabels.distinct([a, b])
        labels = names[0].hasSuffix(" #1") ? ("a", "b") : (names[0], names[1])
        do { blocks = try a.circuit.difference(b.circuit) } catch { throw RuntimeError("diff: \(error.description)") }
    }

    public var typeName: String { "diff" }
    public var fieldNames: [String] { ["blocks", "svg", "csv"] }

    /// Bar characters per share: both █, only a ▓, only b ░ (and colours on a terminal).
    public var summary: String {
        let colour = isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        func paint(_ text: String, _ code: String) -> String { colour && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let width = (blocks.map(\.name.count).max() ?? 0) + 1, barWidth = 40
        var lines = ["diff: █ both   \(paint("▓", "34")) only \(labels.a)   \(paint("░", "33")) only \(labels.b)"]
        for block in blocks {
            func cells(_ n: Int) -> Int { Int((Double(n) / Double(max(1, block.size)) * Double(barWidth)).rounded()) }
            let bar = String(repeating: "█", count: cells(block.both)) + paint(String(repeating: "▓", count: cells(block.onlyThis)), "34")
                + paint(String(repeating: "░", count: cells(block.onlyOther)), "33")
            lines.append("  \(block.name.padding(toLength: width, withPad: " ", startingAt: 0)) both \(block.both) · only a \(block.onlyThis) · only b \(block.onlyOther) / \(block.size)  \(bar)")
        }
        return lines.joined(separator: "\n")
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "blocks":
            return .list(blocks.map {
                .record(Record([("name", .string($0.name)), ("both", .number(Double($0.both))), ("only_a", .number(Double($0.onlyThis))),
                                ("only_b", .number(Double($0.onlyOther))), ("size", .number(Double($0.size)))]))
            })
        case "svg": return FigureFiles.writer("svg", "Writes the diff as an SVG bar chart.") { self.svg }
        case "csv": return FigureFiles.writer("csv", "Writes the diff as CSV: block, both, only_a, only_b, size.") { self.csv }
        default: return nil
        }
    }

    public func isEqual(to other: any NativeObject) -> Bool { false }

    var csv: String {
        (["block,both,only_a,only_b,size"] + blocks.map { "\($0.name),\($0.both),\($0.onlyThis),\($0.onlyOther),\($0.size)" }).joined(separator: "\n") + "\n"
    }

    /// One horizontal stacked bar per block: both (dark blue), only a (light blue), only b (orange).
    var svg: String {
        SVG.stackedBars(legend: [("both", "rgb(33,102,172)"), ("only \(labels.a)", "rgb(146,197,222)"), ("only \(labels.b)", "rgb(244,165,130)")],
                        rows: blocks.map { ($0.name, [$0.both, $0.onlyThis, $0.onlyOther], $0.size) })
    }
}
