/// The ten PCFG SET string-edit functions (Hupkes et al. 2020).
public enum PCFGFunction: String, CaseIterable, Sendable {
    case copy, reverse, shift, echo
    case swapFirstLast = "swap_first_last"
    case `repeat`
    case append, prepend
    case removeFirst = "remove_first"
    case removeSecond = "remove_second"

    /// 1 for unary functions, 2 for binary ones.
    public var arity: Int {
        switch self {
        case .append, .prepend, .removeFirst, .removeSecond: 2
        default: 1
        }
    }

    /// The unary functions, in vocabulary order.
    public static let unary = allCases.filter { $0.arity == 1 }
    /// The binary functions, in vocabulary order.
    public static let binary = allCases.filter { $0.arity == 2 }

    /// Applies a unary function.
    public func apply(_ x: [String]) -> [String] {
        switch self {
        case .copy: return x
        case .reverse: return x.reversed()
        case .shift: return x.isEmpty ? x : Array(x.dropFirst()) + [x[0]]
        case .echo: return x.last.map { x + [$0] } ?? x
        case .swapFirstLast:
            guard x.count > 1 else { return x }
            var y = x
            y.swapAt(0, y.count - 1)
            return y
        case .repeat: return x + x
        default: return x
        }
    }

    /// Applies a binary function.
    public func apply(_ x: [String], _ y: [String]) -> [String] {
        switch self {
        case .append: return x + y
        case .prepend: return y + x
        case .removeFirst: return y
        case .removeSecond: return x
        default: return apply(x)
        }
    }
}
