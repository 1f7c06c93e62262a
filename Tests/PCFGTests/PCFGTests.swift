import Foundation
@testable import PCFG
import Testing

/// `../shared/data/pcfgset` beside the repository.
let dataFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path + "/shared/data/pcfgset"

@Suite struct ReferenceData {
    private func checkEveryLine(_ stem: String) throws {
        let samples = try DataFiles.readPair(source: stem + ".src", target: stem + ".tgt")
        #expect(samples.count > 0)
        var mismatches = 0
        for sample in samples {
            let output = try PCFGExpression.parse(sample.source).evaluate().joined(separator: " ")
            if output != sample.target {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(sample.source) gave \(output), expected \(sample.target)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func reproducesEveryLineOfTheDevSplit() throws {
        try checkEveryLine(dataFolder + "/dev")
    }

    @Test(arguments: PCFGFunction.allCases)
    func reproducesEveryLineOfThePerFunctionTests(function: PCFGFunction) throws {
        try checkEveryLine(dataFolder + "/per_function_test/test_\(function.rawValue)")
    }
}

@Suite struct Expressions {
    @Test func evaluatesTheTenFunctions() throws {
        let cases = [
            ("copy A1 B1", "A1 B1"), ("reverse A1 B1 C1", "C1 B1 A1"), ("shift A1 B1 C1", "B1 C1 A1"),
            ("echo A1 B1", "A1 B1 B1"), ("swap_first_last A1 B1 C1", "C1 B1 A1"), ("repeat A1 B1", "A1 B1 A1 B1"),
            ("append A1 B1 , C1", "A1 B1 C1"), ("prepend A1 B1 , C1", "C1 A1 B1"),
            ("remove_first A1 B1 , C1", "C1"), ("remove_second A1 B1 , C1", "A1 B1"),
            ("reverse swap_first_last A1 B1 C1", "A1 B1 C1"),
        ]
        for (source, target) in cases {
            #expect(try PCFGExpression.parse(source).evaluate().joined(separator: " ") == target, "\(source)")
        }
    }

    @Test func writtenFormRoundTrips() throws {
        let source = "append reverse A1 B1 , remove_first C1 , D1 E1"
        #expect(try PCFGExpression.parse(source).written == source)
    }

    @Test func malformedExpressionsNameTheTokenPosition() {
        #expect(throws: PCFGError.syntax("append takes two arguments separated by ',', found end of input", token: 4, expression: "append A1 B1")) {
            try PCFGExpression.parse("append A1 B1")
        }
        #expect(throws: PCFGError.syntax("'Q99' is neither a function nor a letter (A1…Z20)", token: 3, expression: "reverse A1 Q99")) {
            try PCFGExpression.parse("reverse A1 Q99")
        }
        #expect(throws: PCFGError.syntax("unexpected ',' after a complete expression", token: 3, expression: "copy A1 , B1")) {
            try PCFGExpression.parse("copy A1 , B1")
        }
        #expect(throws: PCFGError.syntax("expected a function or letters, found end of input", token: 1, expression: "")) {
            try PCFGExpression.parse("")
        }
    }

    @Test func anAliasWorksWhereverAFunctionNameDoes() throws {
        #expect(PCFGFunction.named("swap") == .swapFirstLast && PCFGFunction.named("swap_first_last") == .swapFirstLast)
        #expect(PCFGFunction.named("swp") == nil)
        let expression = try PCFGExpression.parse("reverse swap A1 B1 C1")
        #expect(try expression.evaluate() == ["A1", "B1", "C1"])
        #expect(expression.written == "reverse swap_first_last A1 B1 C1", "written with the full name, as models and data files have it")
        #expect(PCFGExpression.functionCount(of: "swap A1 B1") == 1)
        #expect(throws: PCFGError.syntax("function 'swap' cannot follow letters", token: 3, expression: "copy A1 swap")) {
            try PCFGExpression.parse("copy A1 swap")
        }
        #expect(try PCFGTask(name: "swap_then_copy").functions == [.swapFirstLast, .copy])
        #expect(throws: PCFGError.invalid("task: 'swap' is a PCFG SET function or token; choose a new name")) {
            try CustomFunctions.register("swap", arity: 1) { arguments throws(PCFGError) in arguments[0] }
        }
    }

    @Test func hostileNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "reverse ", count: 100_000) + "A1"
        #expect(throws: PCFGError.self) { try PCFGExpression.parse(deep) }
    }
}

@Suite struct Generation {
    @Test func sameSeedSameSamples() {
        var a = MarkovTreeGenerator(seed: 3), b = MarkovTreeGenerator(seed: 3), c = MarkovTreeGenerator(seed: 4)
        let first = a.samples(300)
        #expect(first == b.samples(300))
        #expect(first != c.samples(300))
    }

    @Test func samplesFollowTheReferenceShape() throws {
        var generator = MarkovTreeGenerator(seed: 11)
        let samples = generator.samples(2000)
        var unary = 0, functions = 0
        for sample in samples {
            #expect(sample.source.utf8.count < 500)
            let expression = try PCFGExpression.parse(sample.source)
            #expect(try expression.evaluate().joined(separator: " ") == sample.target)
            for argument in letterArguments(expression) {
                #expect((2...5).contains(argument.count))
                #expect(Set(argument).count == argument.count, "letters repeat in \(argument)")
            }
            let tokens = sample.source.split(separator: " ")
            for token in tokens { if let f = PCFGFunction(rawValue: String(token)) { functions += 1; if f.arity == 1 { unary += 1 } } }
        }
        let unaryShare = Double(unary) / Double(functions)
        #expect(abs(unaryShare - 0.75) < 0.03, "unary share \(unaryShare)")
    }

    @Test func randomProbabilitiesGiveDeeperTrees() {
        func meanFunctions(_ samples: [Sample]) -> Double {
            Double(samples.map { $0.source.split(separator: " ").filter { PCFGFunction(rawValue: String($0)) != nil }.count }.reduce(0, +)) / Double(samples.count)
        }
        var plain = MarkovTreeGenerator(seed: 2), random = MarkovTreeGenerator(seed: 2)
        random.randomProbabilities = true
        let deep = random.samples(2000)
        #expect(meanFunctions(deep) > meanFunctions(plain.samples(2000)) + 0.5)
        var again = MarkovTreeGenerator(seed: 2)
        again.randomProbabilities = true
        #expect(again.samples(2000) == deep)
        #expect(deep.allSatisfy { (try? PCFGExpression.parse($0.source).evaluate().joined(separator: " ")) == $0.target })
    }

    @Test func shapedSamplesFollowTheReferenceFunctionCounts() throws {
        let dev = try DataFiles.readPair(source: dataFolder + "/dev.src", target: dataFolder + "/dev.tgt")
        let reference = Array(dev.prefix(600))
        var generator = MarkovTreeGenerator(seed: 4)
        let shaped = try generator.samples(3000, shapedLike: reference)
        #expect(shaped.count == 3000)
        var wanted: [Int: Int] = [:], got: [Int: Int] = [:]
        for s in reference { wanted[PCFGExpression.functionCount(of: s.source), default: 0] += 1 }
        for s in shaped { got[PCFGExpression.functionCount(of: s.source), default: 0] += 1 }
        #expect(Set(got.keys) == Set(wanted.keys))
        for (k, n) in wanted { #expect(abs(Double(got[k] ?? 0) - 5 * Double(n)) <= 1, "\(k) functions") }
        let longest = reference.map { $0.target.split(separator: " ").count }.max() ?? 0
        #expect(shaped.allSatisfy { $0.target.split(separator: " ").count <= longest })
        #expect(Set(shaped.map(\.source)).isDisjoint(with: reference.map(\.source)))
        #expect(shaped.allSatisfy { (try? PCFGExpression.parse($0.source).evaluate().joined(separator: " ")) == $0.target })
        var again = MarkovTreeGenerator(seed: 4)
        #expect(try again.samples(3000, shapedLike: reference) == shaped)
    }

    @Test func quotasAddUpAndFollowTheHistogram() {
        let quota = MarkovTreeGenerator.quotas(10, histogram: [1, 1, 2, 3, 3, 3])
        #expect(quota.values.reduce(0, +) == 10)
        #expect(quota == [1: 3, 2: 2, 3: 5])
    }

    @Test func referenceWithoutFunctionsIsRefused() {
        var generator = MarkovTreeGenerator(seed: 1)
        #expect(throws: PCFGError.self) { try generator.samples(5, shapedLike: [Sample(source: "A1 B1", target: "A1 B1")]) }
        #expect(throws: PCFGError.self) { try generator.samples(5, shapedLike: []) }
    }

    private func letterArguments(_ expression: PCFGExpression) -> [[String]] {
        switch expression {
        case .letters(let x): [x]
        case .unary(_, let x): letterArguments(x)
        case .binary(_, let x, let y): letterArguments(x) + letterArguments(y)
        }
    }
}

@Suite struct Tasks {
    @Test func isolatedSplitsHaveThePaperSizesAndDoNotOverlap() throws {
        let task = try PCFGTask(name: "swap")
        let train = try task.samples(split: .train), test = try task.samples(split: .test)
        #expect(train.count == 16_000)
        #expect(test.count == 4_000)
        #expect(Set(train.map(\.source)).isDisjoint(with: test.map(\.source)))
        let letters = Set(train.flatMap { $0.source.split(separator: " ").dropFirst().map(String.init) })
        #expect(letters.isSubset(of: Set(PCFGTask.alphabet)))
        #expect(train.allSatisfy { $0.source.hasPrefix("swap_first_last ") })
    }

    @Test func compositeTaskAppliesFunctionsInOrder() throws {
        let task = try PCFGTask(name: "swap_then_reverse")
        #expect(task.functions == [.swapFirstLast, .reverse])
        for sample in try task.samples(split: .train, size: 50) {
            #expect(sample.source.hasPrefix("reverse swap_first_last "))
            #expect(try PCFGExpression.parse(sample.source).evaluate().joined(separator: " ") == sample.target)
        }
        let binary = try PCFGTask(name: "reverse_then_append")
        #expect(try binary.samples(split: .train, size: 5).allSatisfy { $0.source.hasPrefix("append reverse ") && $0.source.contains(" , ") })
    }

    @Test func unknownTaskNamesTheUnknownPart() {
        #expect(throws: PCFGError.unknownTask("swp", part: "swp")) { try PCFGTask(name: "swp") }
        #expect(throws: PCFGError.unknownTask("swap_then_revrse", part: "revrse")) { try PCFGTask(name: "swap_then_revrse") }
    }

    @Test func seedChangesTheData() throws {
        let task = try PCFGTask(name: "copy")
        #expect(try task.samples(split: .train, size: 100, seed: 1) != task.samples(split: .train, size: 100, seed: 2))
        #expect(try task.samples(split: .train, size: 100, seed: 1) == task.samples(split: .train, size: 100, seed: 1))
    }
}

@Suite struct Vocabularies {
    @Test func specialTokensComeFirst() throws {
        let vocabulary = Vocabulary.pcfg
        #expect(Array(vocabulary.tokens.prefix(5)) == ["<pad>", "<sos>", "<eos>", ",", "copy"])
        #expect(vocabulary.count == 4 + 10 + 520)
        #expect(try vocabulary.encode(["A1", "Z20"]) == [14, 533])
        #expect(vocabulary.decode([14, 15, 2, 16]) == ["A1", "B1"])
        #expect(vocabulary.decode([1, 14, 0]) == ["<sos>", "A1", "<pad>"], "PAD and SOS are shown, as the reference counts them")
        #expect(throws: PCFGError.invalid("unknown token 'A21' at position 1")) { try vocabulary.encode(["A21"]) }
    }
}

@Suite struct Files {
    @Test func pairAndCSVRoundTrip() throws {
        let folder = NSTemporaryDirectory() + "pcfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var generator = MarkovTreeGenerator(seed: 5)
        let samples = generator.samples(100)
        try DataFiles.writePair(samples, stem: folder + "/data")
        try DataFiles.writeCSV(samples, to: folder + "/data.csv")
        #expect(try DataFiles.read(folder + "/data.src") == samples)
        #expect(try DataFiles.read(folder + "/data.csv") == samples)
    }

    @Test func mismatchedFilesAreNamed() throws {
        let folder = NSTemporaryDirectory() + "pcfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "copy A1\ncopy B1\n".write(toFile: folder + "/x.src", atomically: true, encoding: .utf8)
        try "A1\n".write(toFile: folder + "/x.tgt", atomically: true, encoding: .utf8)
        #expect(throws: PCFGError.invalid("\(folder)/x.src has 2 lines but \(folder)/x.tgt has 1")) { try DataFiles.read(folder + "/x") }
        try "no separator\n".write(toFile: folder + "/y.csv", atomically: true, encoding: .utf8)
        #expect(throws: PCFGError.invalid("\(folder)/y.csv:1: expected 'source;target'")) { try DataFiles.read(folder + "/y.csv") }
    }
}
