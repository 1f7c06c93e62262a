import CircLang
import PCFG
import Randomness

/// A dataset as a circ value: indexable, `len`, iterable; each item is `{src, tgt}`.
public final class DatasetValue: NativeObject {
    /// Where the samples came from: a task name, `pcfgset`, or a file path.
    public let name: String
    /// `train`, `test`, or `file`.
    public let split: String
    /// The samples.
    public let samples: [Sample]

    /// A dataset value.
    public init(name: String, split: String, samples: [Sample]) {
        self.name = name
        self.split = split
        self.samples = samples
    }

    public var typeName: String { "dataset" }
    public var summary: String { "<dataset \(name) \(split): \(samples.count) samples>" }
    public var fieldNames: [String] { ["name", "split", "n", "src", "tgt"] }
    public var count: Int? { samples.count }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "name": .string(self.name)
        case "split": .string(split)
        case "n": .number(Double(samples.count))
        case "src": .list(samples.map { .string($0.source) })
        case "tgt": .list(samples.map { .string($0.target) })
        default: nil
        }
    }

    public func element(at index: Int) throws -> Value {
        let sample = samples[index]
        return .record(Record([("src", .string(sample.source)), ("tgt", .string(sample.target))]))
    }

    /// The dataset of the samples at `indices`, in that order: slices, `filter`, `sorted` and `reversed` of a dataset are datasets.
    public func subset(_ indices: [Int]) throws -> Value? {
        .native(DatasetValue(name: name, split: split, samples: indices.map { samples[$0] }))
    }

    /// `a + b`: the samples of a, then those of b.
    public func binary(_ op: BinaryOperator, _ other: Value) throws -> Value? {
        guard op == .add, case .native(let object) = other, let rhs = object as? DatasetValue else { return nil }
        return .native(DatasetValue(name: "\(name) + \(rhs.name)", split: split == rhs.split ? split : "mixed", samples: samples + rhs.samples))
    }

    /// FNV-1a over every source and target, in order: the same samples give the same hash.
    public var contentHash: String { Self.contentHash(samples) }

    /// The content hash of samples, 16 hex digits.
    static func contentHash(_ samples: [Sample]) -> String {
        var hash = FNV1a()
        for sample in samples {
            hash.add(sample.source.utf8)
            hash.add([0x09])
            hash.add(sample.target.utf8)
            hash.add([0x0A])
        }
        return hash.hex
    }

    /// A dataset from a list of `{src, tgt}` records; an error names the first item at fault.
    static func fromRecords(_ items: [Value]) throws -> DatasetValue {
        let samples = try items.enumerated().map { index, item -> Sample in
            guard case .record(let record) = item, case .string(let source)? = record["src"], case .string(let target)? = record["tgt"] else {
                throw RuntimeError("dataset: item \(index) must be a record {src: \"…\", tgt: \"…\"} of two strings, got \(item.repr)")
            }
            let words = source.split(separator: " ")
            guard !words.isEmpty else { throw RuntimeError("dataset: item \(index) has an empty src") }
            return Sample(source: words.joined(separator: " "), target: target.split(separator: " ").joined(separator: " "))
        }
        return DatasetValue(name: "records", split: "records", samples: samples)
    }

    public func isEqual(to other: any NativeObject) -> Bool {
        guard let other = other as? DatasetValue else { return false }
        return samples == other.samples
    }
}

/// Runs PCFG code, turning its errors into circ runtime errors with hints (a near task name for a misspelt one).
func bridge<T>(_ body: () throws(PCFGError) -> T) throws -> T {
    do { return try body() } catch {
        if case .unknownTask(let name, let part) = error {
            let suggestion = closestName(to: part, among: PCFGTask.names + PCFGFunction.aliases.keys)
            throw RuntimeError(error.description, hint: suggestion.map { "did you mean \"\(name.replacingOccurrences(of: part, with: $0))\"?" })
        }
        throw RuntimeError(error.description, hint: error.hint)
    }
}
