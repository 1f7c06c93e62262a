/// Infix operators and conditions. Each numeric operator is a type, so the closures made for it are
/// specialised and compute on two numbers inline; other operands go through `Operators.binary`.
extension Compiler {
    func compileBinary(_ op: BinaryOperator, _ leftExpr: Expr, _ rightExpr: Expr, _ span: Span) -> Evaluation {
        switch op {
        case .add: compileNumeric(Add.self, op, leftExpr, rightExpr, span)
        case .subtract: compileNumeric(Subtract.self, op, leftExpr, rightExpr, span)
        case .multiply: compileNumeric(Multiply.self, op, leftExpr, rightExpr, span)
        case .less: compileNumeric(Less.self, op, leftExpr, rightExpr, span)
        case .lessEqual: compileNumeric(LessEqual.self, op, leftExpr, rightExpr, span)
        case .greater: compileNumeric(Greater.self, op, leftExpr, rightExpr, span)
        case .greaterEqual: compileNumeric(GreaterEqual.self, op, leftExpr, rightExpr, span)
        case .equal: compileNumeric(Equal.self, op, leftExpr, rightExpr, span)
        case .notEqual: compileNumeric(NotEqual.self, op, leftExpr, rightExpr, span)
        default: compileGeneral(op, compile(leftExpr), compile(rightExpr), span)
        }
    }

    /// A condition as a `Bool`, without building a bool value for comparisons of numbers.
    func compileCondition(_ expr: Expr) -> (Frame) throws -> Bool {
        if case .binary(let op, let leftExpr, let rightExpr, let span) = expr {
            switch op {
            case .less: return compileTest(Less.self, op, leftExpr, rightExpr, span)
            case .lessEqual: return compileTest(LessEqual.self, op, leftExpr, rightExpr, span)
            case .greater: return compileTest(Greater.self, op, leftExpr, rightExpr, span)
            case .greaterEqual: return compileTest(GreaterEqual.self, op, leftExpr, rightExpr, span)
            case .equal: return compileTest(Equal.self, op, leftExpr, rightExpr, span)
            case .notEqual: return compileTest(NotEqual.self, op, leftExpr, rightExpr, span)
            default: break
            }
        }
        let value = compile(expr)
        return { frame in try value(frame).isTruthy }
    }

    /// `left op right` computed inline when both are numbers; `local op number` (as in `n - 1`)
    /// reads the slot directly. Other operands go to `Operators.binary` as evaluated: evaluating them
    /// again would repeat their side effects (and compiling them again double the work per level).
    private func compileNumeric<Operation: NumberOperation>(
        _: Operation.Type, _ op: BinaryOperator, _ leftExpr: Expr, _ rightExpr: Expr, _ span: Span
    ) -> Evaluation {
        let interpreter = interpreter, file = file
        if let (slot, constant) = Self.localAndConstant(leftExpr, rightExpr) {
            // Reading a slot and a literal again has no effects.
            let general = compileGeneral(op, compile(leftExpr), compile(rightExpr), span)
            return { frame in
                if case .number(let x) = frame[slot: slot] { return Operation.value(x, constant) }
                return try general(frame)
            }
        }
        let left = compile(leftExpr), right = compile(rightExpr)
        return { frame in
            let a = try left(frame), b = try right(frame)
            if case .number(let x) = a, case .number(let y) = b { return Operation.value(x, y) }
            return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }
        }
    }

    /// A comparison as a `Bool`, computed inline when both sides are numbers.
    private func compileTest<Comparison: NumberComparison>(
        _: Comparison.Type, _ op: BinaryOperator, _ leftExpr: Expr, _ rightExpr: Expr, _ span: Span
    ) -> (Frame) throws -> Bool {
        let interpreter = interpreter, file = file
        if let (slot, constant) = Self.localAndConstant(leftExpr, rightExpr) {
            let general = compileGeneral(op, compile(leftExpr), compile(rightExpr), span)
            return { frame in
                if case .number(let x) = frame[slot: slot] { return Comparison.test(x, constant) }
                return try general(frame).isTruthy
            }
        }
        let left = compile(leftExpr), right = compile(rightExpr)
        return { frame in
            let a = try left(frame), b = try right(frame)
            if case .number(let x) = a, case .number(let y) = b { return Comparison.test(x, y) }
            return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }.isTruthy
        }
    }

    /// The slot and the number of `local op number`, as in `n < 2`.
    private static func localAndConstant(_ leftExpr: Expr, _ rightExpr: Expr) -> (slot: Int, constant: Double)? {
        guard case .variable(let variable) = leftExpr, case .local(let slot) = variable.binding,
              case .literal(.number(let constant), _) = rightExpr else { return nil }
        return (slot, constant)
    }

    /// Any operator on any operands, through `Operators.binary`.
    private func compileGeneral(_ op: BinaryOperator, _ left: @escaping Evaluation, _ right: @escaping Evaluation, _ span: Span) -> Evaluation {
        let interpreter = interpreter, file = file
        return { frame in
            let a = try left(frame), b = try right(frame)
            return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }
        }
    }
}

/// An infix operator's result on two numbers.
protocol NumberOperation {
    /// `a op b`.
    static func value(_ a: Double, _ b: Double) -> Value
}

/// A comparison of two numbers.
protocol NumberComparison: NumberOperation {
    /// Whether `a op b` holds.
    static func test(_ a: Double, _ b: Double) -> Bool
}

extension NumberComparison {
    /// The comparison as a bool value.
    @inline(__always) static func value(_ a: Double, _ b: Double) -> Value { .bool(test(a, b)) }
}

/// `+` on numbers.
enum Add: NumberOperation { @inline(__always) static func value(_ a: Double, _ b: Double) -> Value { .number(a + b) } }
/// `-` on numbers.
enum Subtract: NumberOperation { @inline(__always) static func value(_ a: Double, _ b: Double) -> Value { .number(a - b) } }
/// `*` on numbers.
enum Multiply: NumberOperation { @inline(__always) static func value(_ a: Double, _ b: Double) -> Value { .number(a * b) } }
/// `<` on numbers.
enum Less: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a < b } }
/// `<=` on numbers.
enum LessEqual: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a <= b } }
/// `>` on numbers.
enum Greater: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a > b } }
/// `>=` on numbers.
enum GreaterEqual: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a >= b } }
/// `==` on numbers.
enum Equal: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a == b } }
/// `!=` on numbers.
enum NotEqual: NumberComparison { @inline(__always) static func test(_ a: Double, _ b: Double) -> Bool { a != b } }
