/// One test of a policy's conditions: atom `atom` must evaluate to `expected`.
struct AtomTest: Sendable, Hashable {
    var atom: Int32
    var expected: Bool
}

/// A policy set's conditions split into *atoms* shared across policies, so that a request
/// evaluates each distinct atom at most once however many policies use it
/// (`resource.owner == principal`, `principal.clearance >= resource.classification`, …).
///
/// A policy's conditions become a list of ``AtomTest``s, checked left to right: the policy holds
/// when every atom has its expected value, is not satisfied at the first atom that does not, and
/// errors with the error of the first atom that errors. This is exactly Cedar's evaluation of
/// `c1 && c2 && …` (digest §6–7), because the split follows the evaluator's own short-circuit
/// rules and evaluation is pure:
///
/// - `when { a && b }` is `a` then `b` (both expected `true`): `&&` evaluates `a`, stops if it
///   is false, and otherwise evaluates `b`; an error in either is the policy's error;
/// - `unless { a || b }` is `a` then `b` (both expected `false`): `||` stops at the first `true`;
/// - `!a` flips the expectation: `!` evaluates `a` to a boolean (same type error) and negates it;
/// - anything else is one atom. Evaluating an atom to a boolean reports the same type error
///   (`expected bool`) as evaluating it inside `&&`, `||`, `!` or as a condition body.
///
/// An atom that is a binary operation (`principal.dept == "eng"`, `resource.tags.contains("pii")`,
/// `principal.clearance >= resource.classification`) also shares its operands: each distinct
/// operand expression is evaluated at most once per request, so `principal.dept` is read once for
/// every department check of the set. The evaluator evaluates `a op b` as `a`, then `b`, then the
/// operator on the two values; an atom does the same with the operands' remembered values (or
/// their remembered errors).
struct ConditionAtoms: Sendable {
    /// How an atom is evaluated.
    enum Atom: Sendable {
        /// A whole expression.
        case expression(Expr)
        /// `lhs op rhs` over two operands.
        case binary(BinaryOp, Operand, Operand)
    }

    /// An operand of a binary atom: a constant, or a shared expression evaluated once per request.
    enum Operand: Sendable {
        case constant(CedarValue)
        case shared(Int32)
    }

    /// The distinct atoms.
    private(set) var atoms: [Atom] = []
    /// The distinct shared operands, each a compiled (folded) expression.
    private(set) var operands: [Expr] = []
    private var ids: [Expr: Int32] = [:]
    private var operandIDs: [Expr: Int32] = [:]

    /// The tests for one policy's conditions (already folded by ``Compiler``), in evaluation order.
    mutating func tests(for conditions: [Condition]) -> [AtomTest] {
        var out: [AtomTest] = []
        for c in conditions { split(c.body, expected: c.isWhen, into: &out) }
        return out
    }

    private mutating func split(_ e: Expr, expected: Bool, into out: inout [AtomTest]) {
        switch e {
        case .not(let a): split(a, expected: !expected, into: &out)
        case .and(let a, let b) where expected:
            split(a, expected: true, into: &out)
            split(b, expected: true, into: &out)
        case .allOf(let items) where expected:
            for item in items { split(item, expected: true, into: &out) }
        case .or(let a, let b) where !expected:
            split(a, expected: false, into: &out)
            split(b, expected: false, into: &out)
        case .anyOf(let items) where !expected:
            for item in items { split(item, expected: false, into: &out) }
        default:
            out.append(AtomTest(atom: intern(e), expected: expected))
        }
    }

    private mutating func intern(_ e: Expr) -> Int32 {
        if let id = ids[e] { return id }
        let id = Int32(atoms.count)
        if let (op, lhs, rhs) = Self.binaryParts(e) {
            atoms.append(.binary(op, operand(lhs), operand(rhs)))
        } else {
            atoms.append(.expression(e))
        }
        ids[e] = id
        return id
    }

    private mutating func operand(_ e: Expr) -> Operand {
        if case .literal(let v) = e { return .constant(v) }
        if let id = operandIDs[e] { return .shared(id) }
        let id = Int32(operands.count)
        operands.append(e)
        operandIDs[e] = id
        return .shared(id)
    }

    /// `a op b` as the evaluator sees it: a `.binary` node, or a chain whose last step is a
    /// binary operator (the compiler's flattened form of `a.b.c op x`, `a.f() op x`, …).
    static func binaryParts(_ e: Expr) -> (BinaryOp, Expr, Expr)? {
        switch e {
        case .binary(let op, let a, let b): return (op, a, b)
        case .steps(let base, let steps):
            guard let last = steps.last, case .binary(let op, let rhs) = last else { return nil }
            let prefix = Array(steps.dropLast())
            return (op, prefix.isEmpty ? base : .steps(base, prefix), rhs)
        default: return nil
        }
    }
}

/// The atoms' and shared operands' values for one request, computed on first use.
struct AtomMemo {
    private enum State: UInt8 { case unknown, isFalse, isTrue, failed }
    private var states: [State]
    private var errors: [Int32: EvaluationError] = [:]
    private var operandValues: [CedarValue?]
    private var operandErrors: [Int32: EvaluationError] = [:]

    init(atoms: Int, operands: Int) {
        states = Array(repeating: .unknown, count: atoms)
        operandValues = Array(repeating: nil, count: operands)
    }

    /// Whether every test holds: `true`, `false`, or the first erroring atom's error.
    mutating func holds(_ tests: [AtomTest], _ table: ConditionAtoms, _ evaluator: Evaluator) throws(EvaluationError) -> Bool {
        for t in tests {
            let i = Int(t.atom)
            var state = states[i]
            if state == .unknown {
                do throws(EvaluationError) {
                    state = try evaluate(table.atoms[i], table, evaluator) ? .isTrue : .isFalse
                } catch {
                    state = .failed
                    errors[t.atom] = error
                }
                states[i] = state
            }
            switch state {
            case .isTrue: if !t.expected { return false }
            case .isFalse: if t.expected { return false }
            default: throw errors[t.atom] ?? EvaluationError(.typeError, "internal: missing error")
            }
        }
        return true
    }

    private mutating func evaluate(
        _ atom: ConditionAtoms.Atom,
        _ table: ConditionAtoms,
        _ evaluator: Evaluator
    ) throws(EvaluationError) -> Bool {
        switch atom {
        case .expression(let e): return try evaluator.evaluateBool(e)
        case .binary(let op, let lhs, let rhs):
            let a = try value(lhs, table, evaluator)
            let v = try evaluator.binary(op, a, try value(rhs, table, evaluator))
            guard case .bool(let b) = v else { throw .typeError(expected: "bool", got: v) }
            return b
        }
    }

    private mutating func value(
        _ operand: ConditionAtoms.Operand,
        _ table: ConditionAtoms,
        _ evaluator: Evaluator
    ) throws(EvaluationError) -> CedarValue {
        switch operand {
        case .constant(let v): return v
        case .shared(let id):
            if let v = operandValues[Int(id)] { return v }
            if let e = operandErrors[id] { throw e }
            do throws(EvaluationError) {
                let v = try evaluator.evaluate(table.operands[Int(id)])
                operandValues[Int(id)] = v
                return v
            } catch {
                operandErrors[id] = error
                throw error
            }
        }
    }
}
