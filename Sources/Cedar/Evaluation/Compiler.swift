/// Precompiles expressions:
///
/// - literal sets and records and extension constructors on literal strings become values once,
///   instead of on every request (a constructor call that fails is kept, so it errors at
///   evaluation time as the reference does);
/// - long left-associative chains (`a || b || …`, `a && …`, `a + b - …`, `a.b.c…`, method chains)
///   are flattened into ``Expr/anyOf(_:)``, ``Expr/allOf(_:)`` and ``Expr/steps(_:_:)`` so the
///   evaluator iterates over them. Folding itself walks chains iteratively, so its recursion depth
///   is the nesting depth, which the parser bounds.
enum Compiler {
    static func fold(_ e: Expr) -> Expr {
        switch e {
        case .literal, .variable, .slot: return e
        case .not(let a): return .not(fold(a))
        case .negate(let a): return .negate(fold(a))
        case .and, .or, .allOf, .anyOf: return foldLogic(e)
        case .ifThenElse(let c, let t, let f): return .ifThenElse(fold(c), fold(t), fold(f))
        case .isIn(let a, let t, let x): return .isIn(fold(a), t, fold(x))
        case .binary, .getAttr, .hasAttr, .like, .isType, .isEmpty: return foldSteps(e)
        case .call(let fn, let args) where !fn.isConstructor && !args.isEmpty: return foldSteps(e)
        case .set(let items): return foldSet(items)
        case .record(let fields): return foldRecord(fields)
        case .call(let fn, let args): return foldCall(fn, args)
        case .steps: return e
        }
    }

    // Kept out of ``fold(_:)``, which recurses once per level of nesting: in a debug build a
    // function reserves stack for the locals of all its cases.

    private static func foldSet(_ items: [Expr]) -> Expr {
        let folded = items.map(fold)
        var values = Set<CedarValue>()
        for item in folded {
            guard case .literal(let v) = item else { return .set(folded) }
            values.insert(v)
        }
        return .literal(.set(values))
    }

    private static func foldRecord(_ fields: [RecordField]) -> Expr {
        let folded = fields.map { RecordField(key: $0.key, value: fold($0.value)) }
        var values: [CedarString: CedarValue] = [:]
        for f in folded {
            guard case .literal(let v) = f.value else { return .record(folded) }
            values[f.key] = v
        }
        return .literal(.record(values))
    }

    private static func foldCall(_ fn: ExtensionFunction, _ args: [Expr]) -> Expr {
        let folded = args.map(fold)
        if folded.count == 1, case .literal(let v) = folded[0], case .success(let value) = Evaluator.callExtension(fn, [v]) {
            return .literal(value)
        }
        return .call(fn, folded)
    }

    private static func foldLogic(_ e: Expr) -> Expr {
        guard let (isAnd, operands) = e.logicChain else { return e }
        let items = operands.map(fold)
        if items.count == 2 { return isAnd ? .and(items[0], items[1]) : .or(items[0], items[1]) }
        return isAnd ? .allOf(items) : .anyOf(items)
    }

    private static func foldSteps(_ e: Expr) -> Expr {
        var steps: [ChainStep] = []
        var current = e
        loop: while true {
            switch current {
            case .binary(let op, let l, let r):
                steps.append(.binary(op, fold(r)))
                current = l
            case .getAttr(let l, let k):
                steps.append(.getAttr(k))
                current = l
            case .hasAttr(let l, let k):
                steps.append(.hasAttr(k))
                current = l
            case .like(let l, let p):
                steps.append(.like(p))
                current = l
            case .isType(let l, let t):
                steps.append(.isType(t))
                current = l
            case .isEmpty(let l):
                steps.append(.isEmpty)
                current = l
            case .call(let fn, let args) where !fn.isConstructor && !args.isEmpty:
                steps.append(.call(fn, args.dropFirst().map(fold)))
                current = args[0]
            default:
                break loop
            }
        }
        let base = fold(current)
        steps.reverse()
        guard steps.count == 1 else { return .steps(base, steps) }
        switch steps[0] {
        case .binary(let op, let r): return .binary(op, base, r)
        case .getAttr(let k): return .getAttr(base, k)
        case .hasAttr(let k): return .hasAttr(base, k)
        case .like(let p): return .like(base, p)
        case .isType(let t): return .isType(base, t)
        case .isEmpty: return .isEmpty(base)
        case .call(let fn, let rest): return .call(fn, [base] + rest)
        }
    }

    /// The parser-shaped expression for a compiled one (for printing compiled expressions).
    static func expand(_ e: Expr) -> Expr {
        switch e {
        case .allOf(let items): return items.dropFirst().reduce(items.first ?? .literal(.bool(true))) { .and($0, $1) }
        case .anyOf(let items): return items.dropFirst().reduce(items.first ?? .literal(.bool(false))) { .or($0, $1) }
        case .steps(let base, let steps):
            var acc = base
            for step in steps {
                switch step {
                case .binary(let op, let r): acc = .binary(op, acc, r)
                case .getAttr(let k): acc = .getAttr(acc, k)
                case .hasAttr(let k): acc = .hasAttr(acc, k)
                case .like(let p): acc = .like(acc, p)
                case .isType(let t): acc = .isType(acc, t)
                case .isEmpty: acc = .isEmpty(acc)
                case .call(let fn, let rest): acc = .call(fn, [acc] + rest)
                }
            }
            return acc
        default: return e
        }
    }
}
