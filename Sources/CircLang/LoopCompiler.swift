/// Loops. A `for` loop over `range(…)` (the builtin) counts without building the list.
extension Compiler {
    func compileWhile(_ conditionExpr: Expr, _ body: Block, _ span: Span) -> Execution {
        let condition = compileCondition(conditionExpr), step = compile(body)
        let interpreter = interpreter, file = file
        return { frame in
            while try condition(frame) {
                try interpreter.checkInterrupt(span, file)
                if let end = try step(frame).endingLoop { return end }
            }
            return .normal(.null)
        }
    }

    func compileFor(_ variable: VariableRef, _ sequenceExpr: Expr, _ body: Block, _ span: Span) -> Execution {
        let interpreter = interpreter, file = file
        let store = compileStore(variable), step = compile(body)
        let overElements: (Frame, Value) throws -> Completion = { frame, value in
            let elements = try interpreter.elements(of: value, span: sequenceExpr.span, file)
            return try elements.withUnsafeBufferPointer { elements in
                try Self.loop(count: elements.count, element: { elements[$0] }, frame, store, step, interpreter, span, file)
            }
        }
        guard case .call(.variable(let callee), let arguments, let callSpan) = sequenceExpr, callee.name == "range",
              case .global(let index) = callee.binding, let range = interpreter.registry.functions["range"],
              (1...3).contains(arguments.count), arguments.allSatisfy({ $0.keyword == nil }) else {
            let sequence = compile(sequenceExpr)
            return { frame in try overElements(frame, try sequence(frame)) }
        }
        // The call itself is needed only when `range` is not the builtin: compiled then, not twice up front.
        let sequence = lazily { [self] in compile(sequenceExpr) }
        let globals = interpreter.globals, values = arguments.map { compile($0.value) }
        return { frame in
            guard globals.holds(range, at: index) else { return try overElements(frame, try sequence()(frame)) }
            let bounds = try values.map { try $0(frame) }
            guard let numbers = Self.numbers(bounds) else {
                // Anything else (nil for b, a wrong type) goes to the builtin as given, for its result or its error.
                let site = CallSite(arguments: arguments, values: bounds.map { bound in { _ in bound } }, span: callSpan,
                                    calleeSpan: callee.span, file: file)
                return try overElements(frame, try interpreter.call(.builtin(range), at: site, frame))
            }
            let counted = try interpreter.guarded(callSpan, file) {
                try NumberRange(numbers[0], numbers.count > 1 ? numbers[1] : nil, step: numbers.count > 2 ? numbers[2] : 1)
            }
            return try Self.loop(count: counted.count, element: { .number(counted[$0]) }, frame, store, step, interpreter, span, file)
        }
    }

    /// The numbers among `values`, or nil when one is not a number.
    private static func numbers(_ values: [Value]) -> [Double]? {
        var numbers: [Double] = []
        for value in values {
            guard case .number(let number) = value else { return nil }
            numbers.append(number)
        }
        return numbers
    }

    /// Runs `step` once for each of `count` elements, stored into the loop variable first.
    @inline(__always)
    private static func loop(
        count: Int, element: (Int) -> Value, _ frame: Frame, _ store: (consuming Value, Frame) -> Void, _ step: Execution,
        _ interpreter: Interpreter, _ span: Span, _ file: SourceFile
    ) throws -> Completion {
        for i in 0..<count {
            try interpreter.checkInterrupt(span, file)
            store(element(i), frame)
            if let end = try step(frame).endingLoop { return end }
        }
        return .normal(.null)
    }
}
