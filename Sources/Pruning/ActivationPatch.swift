import Foundation
import Transformer

/// Activation patching: chosen units of one run (the receiver) take their values from another run
/// of the same shapes (the donor). A unit is what a circuit of the layout keeps: a block output's
/// unit (node level) or an attention head's slice of its context and a whole feed-forward output
/// (head level). Optionally only at some positions (encoder rows for encoder blocks, decoder rows
/// for decoder blocks; any of a Tracr model's positions). Patched values do not depend on the
/// receiver's, so backward zeroes their gradient.
public final class ActivationPatch: BlockMasks {
    /// Per site (block output or `<block>.context`): which of its columns are patched, and at which rows.
    private struct Site { let columns: [Bool]; let rows: [Bool]?; let values: UnsafeMutablePointer<Float> }
    private var sites: [String: Site] = [:]
    /// The donor pass, held so that the values it owns stay valid.
    private let donor: AnyObject

    /// Patches the units `kept` marks (one flag per unit of `layout`) with the donor pass's `values`
    /// (by site name), at the rows `rows(b)` flags of block b (nil: all).
    init(layout: UnitLayout, kept: [Bool], donor: AnyObject, values: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)], rows: (Int) -> [Bool]?) {
        self.donor = donor
        let values = Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.values) })
        for b in layout.names.indices {
            let columns = (0..<layout.siteWidth(b)).map { kept[layout.unit(block: b, column: $0)] }
            guard columns.contains(true), let site = values[layout.site(b)] else { continue }
            sites[layout.site(b)] = Site(columns: columns, rows: rows(b), values: site)
        }
    }

    /// Patches the units `kept` marks (one flag per unit of `layout`) with the donor's values;
    /// `positions`, when given, limits each block to those rows of its side (source or target).
    public convenience init(layout: UnitLayout, kept: [Bool], donor: ForwardPass, positions: (source: Set<Int>, target: Set<Int>)? = nil) {
        let batch = donor.batch
        self.init(layout: layout, kept: kept, donor: donor, values: donor.blockOutputs + donor.attentionContexts) { b in
            let encoder = layout.names[b].hasPrefix("encoder"), length = encoder ? batch.sourceLength : batch.targetLength
            return positions.map { chosen in (0..<(batch.size * length)).map { (encoder ? chosen.source : chosen.target).contains($0 % length) } }
        }
    }

    /// Patches the units `kept` marks (one flag per unit of `layout`) with a Tracr donor pass's values,
    /// at the positions given (nil: all).
    public convenience init(layout: UnitLayout, kept: [Bool], tracrDonor donor: TracrPass, positions: Set<Int>?) {
        let batch = donor.batch
        self.init(layout: layout, kept: kept, donor: donor, values: donor.blockOutputs + donor.attentionContexts) { _ in
            positions.map { chosen in (0..<batch.rows).map { chosen.contains($0 % batch.length) } }
        }
    }

    public func covers(_ name: String) -> Bool { sites[name] != nil }

    public func apply(_ name: String, output: UnsafeMutablePointer<Float>, original: UnsafePointer<Float>, rows: Int, width: Int) {
        guard let site = sites[name] else { return }
        for row in 0..<rows where site.rows?[row] ?? true {
            for j in 0..<width where site.columns[j] { output[row * width + j] = site.values[row * width + j] }
        }
    }

    public func backward(_ name: String, dOutput: UnsafeMutablePointer<Float>, original: UnsafePointer<Float>, rows: Int, width: Int) {
        guard let site = sites[name] else { return }
        for row in 0..<rows where site.rows?[row] ?? true {
            for j in 0..<width where site.columns[j] { dOutput[row * width + j] = 0 }
        }
    }

    /// The summed log-probability of the batch's expected tokens (its first sequence's, EOS included) under a pass.
    public static func logProbability(_ pass: ForwardPass, classes v: Int) -> Double {
        let batch = pass.batch
        var total = 0.0
        for (row, target) in batch.decoderTargets.enumerated().prefix(batch.targetLength) where target != 0 {
            total += logProbability(of: Int(target), in: pass.logits + row * v, classes: v)
        }
        return total
    }

    /// log softmax(logits)[token] of one row of logits, in doubles.
    static func logProbability(of token: Int, in logits: UnsafePointer<Float>, classes v: Int) -> Double {
        var largest = logits[0]
        for j in 1..<v { largest = max(largest, logits[j]) }
        var sum = 0.0
        for j in 0..<v { sum += exp(Double(logits[j] - largest)) }
        return Double(logits[token] - largest) - log(sum)
    }
}
