/// The four request variables.
enum Variable: String, Hashable, Sendable, CaseIterable {
    case principal, action, resource, context
}

/// Template slots.
public enum SlotID: String, Hashable, Sendable {
    /// `?principal`
    case principal = "?principal"
    /// `?resource`
    case resource = "?resource"
}

/// Binary operators and built-in two-operand methods.
enum BinaryOp: String, Hashable, Sendable {
    case eq = "=="
    case notEq = "!="
    case less = "<"
    case lessEq = "<="
    case greater = ">"
    case greaterEq = ">="
    case `in`
    case add = "+"
    case sub = "-"
    case mul = "*"
    case contains, containsAll, containsAny, hasTag, getTag
}

/// One element of a `like` pattern.
enum PatternElement: Hashable, Sendable {
    case wildcard
    case literal(Unicode.Scalar)
}

/// A `like` pattern.
struct Pattern: Hashable, Sendable {
    var elements: [PatternElement]

    /// Matches on Unicode scalars, anchored at both ends (greedy backtracking on the last `*`).
    func matches(_ text: CedarString) -> Bool {
        let s = Array(text.value.unicodeScalars)
        let p = elements
        var si = 0
        var pi = 0
        var starP = -1
        var starS = 0
        while si < s.count {
            if pi < p.count, case .literal(let c) = p[pi], c == s[si] {
                si += 1
                pi += 1
            } else if pi < p.count, p[pi] == .wildcard {
                starP = pi
                starS = si
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starS += 1
                si = starS
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == .wildcard { pi += 1 }
        return pi == p.count
    }
}

/// A field of a record literal, in source order.
struct RecordField: Hashable, Sendable {
    var key: CedarString
    var value: Expr
}

/// A Cedar expression (the AST). Desugared as the reference parser does: `has a.b` becomes a
/// chain of `&&`, `-` on an integer literal folds.
indirect enum Expr: Hashable, Sendable {
    case literal(CedarValue)
    case variable(Variable)
    case slot(SlotID)
    case not(Expr)
    case negate(Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case ifThenElse(Expr, Expr, Expr)
    case binary(BinaryOp, Expr, Expr)
    case getAttr(Expr, CedarString)
    case hasAttr(Expr, CedarString)
    case like(Expr, Pattern)
    case isType(Expr, EntityType)
    /// `e is T in x` ≡ `e is T && e in x`, kept as one node as the reference does.
    case isIn(Expr, EntityType, Expr)
    case isEmpty(Expr)
    case set([Expr])
    case record([RecordField])
    case call(ExtensionFunction, [Expr])

    /// `e1 && e2 && …`, left to right (three operands or more): built by the parser and the JSON
    /// policy reader (``conjunction(_:)``), so a flat chain is one level of nesting and walkers
    /// iterate over its operands.
    case allOf([Expr])
    /// `e1 || e2 || …`, left to right (three operands or more; ``disjunction(_:)``).
    case anyOf([Expr])
    // Produced only by ``Compiler`` (never by the parser): arithmetic, attribute and method chains
    // flattened so that evaluation iterates instead of recursing once per operand.
    /// A base followed by postfix/binary steps applied left to right (`a + b - c`, `a.b.c`, `a.f().g()`).
    case steps(Expr, [ChainStep])
}

/// One step of a flattened left-associative chain (see ``Expr/steps(_:_:)``).
enum ChainStep: Hashable, Sendable {
    case binary(BinaryOp, Expr)
    case getAttr(CedarString)
    case hasAttr(CedarString)
    case like(Pattern)
    case isType(EntityType)
    case isEmpty
    /// A method call: the receiver is the accumulated value, these are the other arguments.
    case call(ExtensionFunction, [Expr])
}

/// Extension functions: constructors (function style) and methods (receiver first).
enum ExtensionFunction: String, Hashable, Sendable, CaseIterable {
    case decimal, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual
    case ip, isIpv4, isIpv6, isLoopback, isMulticast, isInRange
    case datetime, duration, offset, durationSince, toDate, toTime
    case toMilliseconds, toSeconds, toMinutes, toHours, toDays

    var isConstructor: Bool {
        switch self {
        case .decimal, .ip, .datetime, .duration: true
        default: false
        }
    }

    /// Whether a call with `count` arguments (receiver included) is well formed: ``arity`` exactly,
    /// except `ipaddr.isInRange(r1, r2, …)`, which takes one range or more (Cedar 4.13+, RFC 99:
    /// true when the address is in any of them).
    func accepts(_ count: Int) -> Bool {
        self == .isInRange ? count >= arity : count == arity
    }

    /// The expected argument count in messages: `2`, or `at least 2` for variadic functions.
    var arityDescription: String { self == .isInRange ? "at least \(arity)" : "\(arity)" }

    /// The number of arguments, receiver included (the least, for ``isInRange``).
    var arity: Int {
        switch self {
        case .decimal, .ip, .datetime, .duration: 1
        case .isIpv4, .isIpv6, .isLoopback, .isMulticast, .toDate, .toTime: 1
        case .toMilliseconds, .toSeconds, .toMinutes, .toHours, .toDays: 1
        default: 2
        }
    }
}
