import CircLang
import Testing

/// A set of integers standing in for circuits: operators dispatch to it.
final class IntegerSet: NativeObject {
    let members: Set<Int>
    init(_ members: Set<Int>) { self.members = members }
    var typeName: String { "intset" }
    var summary: String { "intset" + members.sorted().description }
    var count: Int? { members.count }
    func element(at index: Int) throws -> Value { .number(Double(members.sorted()[index])) }
    func binary(_ op: BinaryOperator, _ other: Value) throws -> Value? {
        guard case .native(let object) = other, let rhs = object as? IntegerSet else { return nil }
        switch op {
        case .union: return .native(IntegerSet(members.union(rhs.members)))
        case .intersection: return .native(IntegerSet(members.intersection(rhs.members)))
        case .subtract: return .native(IntegerSet(members.subtracting(rhs.members)))
        case .symmetricDifference: return .native(IntegerSet(members.symmetricDifference(rhs.members)))
        default: return nil
        }
    }
    func unary(_ op: UnaryOperator) throws -> Value? {
        op == .complement ? .native(IntegerSet(Set(0..<10).subtracting(members))) : nil
    }
    func isEqual(to other: any NativeObject) -> Bool { (other as? IntegerSet)?.members == members }
}

@Suite struct NativeOperators {
    private func registry() -> Registry {
        let registry = Registry.standard()
        registry.register(section: "Test", [
            NativeFunction("intset", [Parameter("xs", .list)], doc: "A set of integers.") { args, _ in
                .native(IntegerSet(Set(try args.list(0).compactMap { if case .number(let n) = $0 { Int(n) } else { nil } })))
            },
        ])
        return registry
    }

    @Test func setOperatorsDispatchToTheNativeValue() {
        let program = """
        a = intset([1, 2, 3]); b = intset([3, 4])
        print(a | b, a & b, a - b, a ^ b, ~a)
        print(~(a | b) == ~a & ~b, len(a | b))
        """
        let result = run(program, registry: registry())
        #expect(result.error == nil)
        #expect(result.output == "intset[1, 2, 3, 4] intset[3] intset[1, 2] intset[1, 2, 4] intset[0, 4, 5, 6, 7, 8, 9]\ntrue 4")
    }

    @Test func operatorsOnUnsupportedTypesAreErrors() {
        #expect(run("print([1] | [2])").error?.message == "cannot apply '|' to list and list")
        #expect(run("print(~1)").error?.message == "cannot apply '~' to number")
    }
}
