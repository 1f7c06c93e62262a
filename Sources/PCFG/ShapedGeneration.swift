/// Generation shaped like a reference set: PCFG SET's samples were chosen so that their
/// complexity follows a target distribution, which the plain Markov tree does not reproduce
/// (it makes far shorter expressions). This draws candidates with per-sample random
/// probabilities and keeps each one only while its function count's quota is unfilled.
extension MarkovTreeGenerator {
    /// Candidates tried per requested sample before giving up.
    static let candidatesPerSample = 5000

    /// `count` samples whose function counts follow `reference`'s histogram, none with a source in
    /// `reference` and none with a longer output than `reference`'s longest.
    public mutating func samples(_ count: Int, shapedLike reference: [Sample]) throws(PCFGError) -> [Sample] {
        guard !reference.isEmpty else { throw PCFGError.invalid("cannot shape samples like an empty dataset") }
        let functionCounts = reference.map { PCFGExpression.functionCount(of: $0.source) }
        if let bare = functionCounts.firstIndex(of: 0) {
            throw PCFGError.invalid("cannot shape samples like \"\(reference[bare].source)\": it applies no function")
        }
        var quota = Self.quotas(count, histogram: functionCounts)
        let excluded = Set(reference.map(\.source))
        let longestTarget = reference.map { $0.target.split(separator: " ").count }.max() ?? 0
        let wasRandom = randomProbabilities
        randomProbabilities = true
        defer { randomProbabilities = wasRandom }
        var out: [Sample] = []
        out.reserveCapacity(count)
        var candidates = 0
        while out.count < count {
            candidates += 1
            if candidates > Self.candidatesPerSample * count + 100_000 {
                let missing = quota.filter { $0.value > 0 }.keys.sorted().map(String.init).joined(separator: ", ")
                throw PCFGError.invalid("could not generate enough samples with \(missing) functions")
            }
            guard let (sample, functions) = nextSample(), let left = quota[functions], left > 0,
                  !excluded.contains(sample.source), sample.target.split(separator: " ").count <= longestTarget else { continue }
            quota[functions] = left - 1
            out.append(sample)
        }
        return out
    }

    /// Per function count, how many of `count` samples it gets: proportional to its share of
    /// `histogram`, rounded down, the remainder going to the largest fractions (ties to fewer functions).
    static func quotas(_ count: Int, histogram counts: [Int]) -> [Int: Int] {
        var frequency: [Int: Int] = [:]
        for k in counts { frequency[k, default: 0] += 1 }
        let total = Double(counts.count)
        var quota = frequency.mapValues { Int(Double(count) * Double($0) / total) }
        let remainder = count - quota.values.reduce(0, +)
        let byFraction = frequency.keys.sorted { a, b in
            let fa = Double(count) * Double(frequency[a]!) / total - Double(quota[a]!)
            let fb = Double(count) * Double(frequency[b]!) / total - Double(quota[b]!)
            return fa != fb ? fa > fb : a < b
        }
        for k in byFraction.prefix(remainder) { quota[k]! += 1 }
        return quota
    }
}
