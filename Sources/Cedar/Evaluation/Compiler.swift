/// Precompiles expressions: literal sets and records and extension constructors on literal
/// strings become values once, instead of on every request. A constructor call that fails is
/// kept, so it errors at evaluation time as the reference does.
enum Compiler {
    static func fold(_ e: Expr) -> Expr {
        switch e {
        case .literal, .variable, .slot: return e
        case .not(let a): return .not(fold(a))
        case .negate(let a): return .negate(fold(a))
        case .and(let a, let b): return .and(fold(a), fold(b))
        case .or(let a, let b): return .or(fold(a), fold(b))
        case .ifThenElse(let c, let t, let f): return .ifThenElse(fold(c), fold(t), fold(f))
        case .binary(let op, let a, let b): return .binary(op, fold(a), fold(b))
        case .getAttr(let a, let k): return .getAttr(fold(a), k)
        case .hasAttr(let a, let k): return .hasAttr(fold(a), k)
        case .like(let a, let p): return .like(fold(a), p)
        case .isType(let a, let t): return .isType(fold(a), t)
        case .isEmpty(let a): return .isEmpty(fold(a))
        case .set(let items):
            let folded = items.map(fold)
            var values = Set<CedarValue>()
            for item in folded {
                guard case .literal(let v) = item else { return .set(folded) }
                values.insert(v)
            }
            return .literal(.set(values))
        case .record(let fields):
            let folded = fields.map { RecordField(key: $0.key, value: fold($0.value)) }
            var values: [CedarString: CedarValue] = [:]
            for f in folded {
                guard case .literal(let v) = f.value else { return .record(folded) }
                values[f.key] = v
            }
            return .literal(.record(values))
        case .call(let fn, let args):
            let folded = args.map(fold)
            if fn.isConstructor, folded.count == 1, case .literal(let v) = folded[0],
                case .success(let value) = Evaluator.callExtension(fn, [v])
            {
                return .literal(value)
            }
            return .call(fn, folded)
        }
    }
}
