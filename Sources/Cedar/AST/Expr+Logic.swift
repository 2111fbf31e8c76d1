extension Expr {
    /// `operands[0] && operands[1] && …` as the parser and the JSON policy reader build it: one
    /// n-ary ``allOf(_:)`` node for three operands or more, so a flat chain is one level of
    /// nesting (as in the reference, which accepts chains of thousands of operands) and every
    /// walker iterates over its operands instead of recursing once per operand.
    ///
    /// A first operand that is itself a conjunction (`(a && b) && c`, or the desugared
    /// `x has a.b`) is flattened into the chain, as the reference's left-nested tree makes no
    /// difference between the two; a later one (`a && (b && c)`) is real nesting and stays.
    /// - Parameter operands: the operands, left to right (at least one).
    /// - Returns: the expression.
    static func conjunction(_ operands: [Expr]) -> Expr {
        logic(isAnd: true, operands)
    }

    /// `operands[0] || operands[1] || …`, built as ``conjunction(_:)`` builds `&&`.
    /// - Parameter operands: the operands, left to right (at least one).
    /// - Returns: the expression.
    static func disjunction(_ operands: [Expr]) -> Expr {
        logic(isAnd: false, operands)
    }

    private static func logic(isAnd: Bool, _ operands: [Expr]) -> Expr {
        guard let first = operands.first else { return .literal(.bool(isAnd)) }
        guard operands.count > 1 else { return first }
        var items = first.logicChain.flatMap { $0.isAnd == isAnd ? $0.operands : nil } ?? [first]
        items.append(contentsOf: operands.dropFirst())
        if items.count == 2 { return isAnd ? .and(items[0], items[1]) : .or(items[0], items[1]) }
        return isAnd ? .allOf(items) : .anyOf(items)
    }

    /// The operands of a `&&` chain (`isAnd`) or a `||` chain, left to right, however the chain is
    /// built (binary ``and(_:_:)`` nodes nested to the left, ``allOf(_:)``, or both); `nil` for
    /// any other expression. Iterative, so it works on a chain of any length.
    var logicChain: (isAnd: Bool, operands: [Expr])? {
        let isAnd: Bool
        switch self {
        case .and, .allOf: isAnd = true
        case .or, .anyOf: isAnd = false
        default: return nil
        }
        var rights: [Expr] = []
        var current = self
        loop: while true {
            switch current {
            case .and(let l, let r) where isAnd, .or(let l, let r) where !isAnd:
                rights.append(r)
                current = l
            case .allOf(let items) where isAnd, .anyOf(let items) where !isAnd:
                guard let first = items.first else {
                    current = .literal(.bool(isAnd))
                    break loop
                }
                rights.append(contentsOf: items.dropFirst().reversed())
                current = first
            default:
                break loop
            }
        }
        return (isAnd, [current] + rights.reversed())
    }
}
