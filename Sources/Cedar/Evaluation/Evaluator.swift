/// Evaluates expressions against one request and an entity store (digest §6).
///
/// Pure and synchronous. Every error is an ``EvaluationError`` value; nothing traps.
///
/// The request's principal and resource are looked up in the store once, when the evaluator is
/// made, and their attributes, ancestors and tags are then read in place (most attribute reads
/// and `in` tests of a policy set are on them); other entities are looked up on use.
struct Evaluator {
    let principal: EntityUID
    let action: EntityUID
    let resource: EntityUID
    let context: CedarValue
    let entities: EntityStore
    /// Where the principal and resource are in the store (`nil` when not stored, or not cached).
    let principalSlot: Int?
    let resourceSlot: Int?
    private let cachesRequestEntities: Bool

    /// - Parameters:
    ///   - request: the request to evaluate.
    ///   - entities: the entity store it is evaluated against.
    ///   - cachingRequestEntities: `false` reads every entity from the store on use (the
    ///   plain evaluator the tests compare the cached one against).
    init(request: AuthorizationRequest, entities: EntityStore, cachingRequestEntities: Bool = true) {
        principal = request.principal
        action = request.action
        resource = request.resource
        context = .record(request.context)
        self.entities = entities
        cachesRequestEntities = cachingRequestEntities
        principalSlot = cachingRequestEntities ? entities.slot(of: request.principal) : nil
        resourceSlot = cachingRequestEntities ? entities.slot(of: request.resource) : nil
    }

    /// Where `uid` is stored: `.some(nil)` when it is the principal or resource and not stored,
    /// `nil` when it is neither (or nothing is cached).
    private func requestSlot(_ uid: EntityUID) -> Int?? {
        guard cachesRequestEntities else { return nil }
        if uid == principal { return .some(principalSlot) }
        if uid == resource { return .some(resourceSlot) }
        return nil
    }

    /// Attribute `key` of `uid`: `nil` when `uid` is not stored, `.some(nil)` when it lacks the attribute.
    private func attribute(of uid: EntityUID, _ key: CedarString) -> CedarValue?? {
        if let known = requestSlot(uid) { return known.map { entities.attribute(at: $0, key) } }
        return entities.attributes(of: uid).map { $0[key] }
    }

    /// Tag `key` of `uid`: `nil` when `uid` is not stored, `.some(nil)` when it lacks the tag.
    private func tag(of uid: EntityUID, _ key: CedarString) -> CedarValue?? {
        if let known = requestSlot(uid) { return known.map { entities.tag(at: $0, key) } }
        return entities.tags(of: uid).map { $0[key] }
    }

    /// Cedar's `in` on two entities: equal, or `target` is an ancestor of `uid`.
    private func isDescendant(_ uid: EntityUID, of target: EntityUID) -> Bool {
        if let known = requestSlot(uid) {
            guard uid != target else { return true }
            return known.map { entities.hasAncestor(at: $0, target) } ?? false
        }
        return entities.isDescendant(uid, of: target)
    }

    func evaluateBool(_ e: Expr) throws(EvaluationError) -> Bool {
        let v = try evaluate(e)
        guard case .bool(let b) = v else { throw .typeError(expected: "bool", got: v) }
        return b
    }

    func evaluate(_ e: Expr) throws(EvaluationError) -> CedarValue {
        switch e {
        case .literal(let v): return v
        case .variable(let v): return variable(v)
        case .not(let a): return try not(a)
        case .and(let a, let b): return try and(a, b)
        case .or(let a, let b): return try or(a, b)
        case .binary(let op, let a, let b): return try binary(op, a, b)
        case .getAttr(let a, let key): return try getAttr(a, key)
        case .allOf(let items): return try allOf(items)
        case .anyOf(let items): return try anyOf(items)
        case .steps(let base, let steps): return try chain(base, steps)
        default: return try evaluateOther(e)
        }
    }

    /// The less frequent nodes (see ``evaluate(_:)``: two levels keep each function's frame small).
    private func evaluateOther(_ e: Expr) throws(EvaluationError) -> CedarValue {
        switch e {
        case .slot(let s): throw Self.unlinked(s)
        case .negate(let a): return try negate(a)
        case .ifThenElse(let c, let t, let f): return try ifThenElse(c, t, f)
        case .hasAttr(let a, let key): return try hasAttr(a, key)
        case .like(let a, let pattern): return try like(a, pattern)
        case .isType(let a, let type): return try isType(a, type)
        case .isIn(let a, let type, let x): return try isIn(a, type, x)
        case .isEmpty(let a): return try isEmpty(a)
        case .set(let items): return try set(items)
        case .record(let fields): return try record(fields)
        case .call(let fn, let args): return try call(fn, args)
        case .literal, .variable, .not, .and, .or, .binary, .getAttr, .allOf, .anyOf, .steps: return try evaluate(e)
        }
    }

    // The cases below have functions of their own: in a debug build a function reserves stack
    // for the locals of all its cases, and ``evaluate(_:)`` recurses once per level of nesting.

    private func variable(_ v: Variable) -> CedarValue {
        switch v {
        case .principal: .entity(principal)
        case .action: .entity(action)
        case .resource: .entity(resource)
        case .context: context
        }
    }

    private func not(_ a: Expr) throws(EvaluationError) -> CedarValue { .bool(!(try evaluateBool(a))) }

    private func negate(_ a: Expr) throws(EvaluationError) -> CedarValue { try negate(try long(a)) }

    private func and(_ a: Expr, _ b: Expr) throws(EvaluationError) -> CedarValue {
        guard try evaluateBool(a) else { return .bool(false) }
        return .bool(try evaluateBool(b))
    }

    private func or(_ a: Expr, _ b: Expr) throws(EvaluationError) -> CedarValue {
        if try evaluateBool(a) { return .bool(true) }
        return .bool(try evaluateBool(b))
    }

    private func ifThenElse(_ c: Expr, _ t: Expr, _ f: Expr) throws(EvaluationError) -> CedarValue {
        try evaluateBool(c) ? try evaluate(t) : try evaluate(f)
    }

    private func binary(_ op: BinaryOp, _ a: Expr, _ b: Expr) throws(EvaluationError) -> CedarValue {
        let left = try evaluate(a)
        return try binary(op, left, try evaluate(b))
    }

    private func getAttr(_ a: Expr, _ key: CedarString) throws(EvaluationError) -> CedarValue {
        try attribute(try evaluate(a), key)
    }

    private func hasAttr(_ a: Expr, _ key: CedarString) throws(EvaluationError) -> CedarValue {
        try has(try evaluate(a), key)
    }

    private func like(_ a: Expr, _ pattern: Pattern) throws(EvaluationError) -> CedarValue {
        try like(try evaluate(a), pattern)
    }

    private func isType(_ a: Expr, _ type: EntityType) throws(EvaluationError) -> CedarValue {
        try isType(try evaluate(a), type)
    }

    private func isEmpty(_ a: Expr) throws(EvaluationError) -> CedarValue {
        try isEmpty(try evaluate(a))
    }

    private func allOf(_ items: [Expr]) throws(EvaluationError) -> CedarValue {
        for item in items where !(try evaluateBool(item)) { return .bool(false) }
        return .bool(true)
    }

    private func anyOf(_ items: [Expr]) throws(EvaluationError) -> CedarValue {
        for item in items where try evaluateBool(item) { return .bool(true) }
        return .bool(false)
    }

    private static func unlinked(_ s: SlotID) -> EvaluationError {
        EvaluationError(.unlinkedSlot, "template slot \(s.rawValue) is not linked")
    }

    private func negate(_ v: Int64) throws(EvaluationError) -> CedarValue {
        let (r, o) = Int64(0).subtractingReportingOverflow(v)
        if o { throw .overflow("negate", v) }
        return .long(r)
    }

    private func isIn(_ a: Expr, _ type: EntityType, _ x: Expr) throws(EvaluationError) -> CedarValue {
        let v = try evaluate(a)
        guard case .bool(true) = try isType(v, type) else { return .bool(false) }
        return try binary(.in, v, try evaluate(x))
    }

    private func chain(_ base: Expr, _ steps: [ChainStep]) throws(EvaluationError) -> CedarValue {
        var acc = try evaluate(base)
        for step in steps {
            switch step {
            case .binary(let op, let r): acc = try binary(op, acc, try evaluate(r))
            case .getAttr(let k): acc = try attribute(acc, k)
            case .hasAttr(let k): acc = try has(acc, k)
            case .like(let p): acc = try like(acc, p)
            case .isType(let t): acc = try isType(acc, t)
            case .isEmpty: acc = try isEmpty(acc)
            case .call(let fn, let rest):
                var values = [acc]
                for a in rest { values.append(try evaluate(a)) }
                acc = try Self.callExtension(fn, values).get()
            }
        }
        return acc
    }

    private func set(_ items: [Expr]) throws(EvaluationError) -> CedarValue {
        var s = Set<CedarValue>(minimumCapacity: items.count)
        for item in items { s.insert(try evaluate(item)) }
        return .set(s)
    }

    private func record(_ fields: [RecordField]) throws(EvaluationError) -> CedarValue {
        var r: [CedarString: CedarValue] = [:]
        r.reserveCapacity(fields.count)
        for f in fields { r[f.key] = try evaluate(f.value) }
        return .record(r)
    }

    private func call(_ fn: ExtensionFunction, _ args: [Expr]) throws(EvaluationError) -> CedarValue {
        var values: [CedarValue] = []
        values.reserveCapacity(args.count)
        for a in args { values.append(try evaluate(a)) }
        return try Self.callExtension(fn, values).get()
    }

    private func has(_ v: CedarValue, _ key: CedarString) throws(EvaluationError) -> CedarValue {
        switch v {
        case .record(let r): return .bool(r[key] != nil)
        case .entity(let uid): return .bool((attribute(of: uid, key) ?? nil) != nil)
        default: throw .typeError(expected: "entity or record", got: v)
        }
    }

    private func like(_ v: CedarValue, _ pattern: Pattern) throws(EvaluationError) -> CedarValue {
        guard case .string(let s) = v else { throw .typeError(expected: "string", got: v) }
        return .bool(pattern.matches(s))
    }

    private func isType(_ v: CedarValue, _ type: EntityType) throws(EvaluationError) -> CedarValue {
        guard case .entity(let uid) = v else { throw .typeError(expected: "entity", got: v) }
        return .bool(uid.type == type)
    }

    private func isEmpty(_ v: CedarValue) throws(EvaluationError) -> CedarValue {
        guard case .set(let s) = v else { throw .typeError(expected: "set", got: v) }
        return .bool(s.isEmpty)
    }

    private func long(_ e: Expr) throws(EvaluationError) -> Int64 {
        let v = try evaluate(e)
        guard case .long(let n) = v else { throw .typeError(expected: "long", got: v) }
        return n
    }

    private func attribute(_ v: CedarValue, _ key: CedarString) throws(EvaluationError) -> CedarValue {
        switch v {
        case .record(let r):
            guard let x = r[key] else {
                throw EvaluationError(.attributeDoesNotExist, "record does not have the attribute `\(key)`")
            }
            return x
        case .entity(let uid):
            guard let found = attribute(of: uid, key) else {
                throw EvaluationError(.entityDoesNotExist, "entity `\(uid)` does not exist")
            }
            guard let x = found else {
                throw EvaluationError(.attributeDoesNotExist, "`\(uid)` does not have the attribute `\(key)`")
            }
            return x
        default:
            throw .typeError(expected: "entity or record", got: v)
        }
    }

    private func compare(_ a: CedarValue, _ b: CedarValue) throws(EvaluationError) -> (Int64, Int64) {
        switch (a, b) {
        case (.long(let x), .long(let y)): return (x, y)
        case (.extensionValue(.datetime(let x)), .extensionValue(.datetime(let y))): return (x, y)
        case (.extensionValue(.duration(let x)), .extensionValue(.duration(let y))): return (x, y)
        default:
            let bad = (a.kindName == "long" || a.kindName == "datetime" || a.kindName == "duration") ? b : a
            throw EvaluationError(
                .typeError,
                "type error: expected one of [long, datetime, duration] (both of the same kind), got \(bad.kindName)"
            )
        }
    }

    func binary(_ op: BinaryOp, _ a: CedarValue, _ b: CedarValue) throws(EvaluationError) -> CedarValue {
        switch op {
        case .eq: return .bool(a == b)
        case .notEq: return .bool(a != b)
        case .less:
            let (x, y) = try compare(a, b)
            return .bool(x < y)
        case .lessEq:
            let (x, y) = try compare(a, b)
            return .bool(x <= y)
        case .greater:
            let (x, y) = try compare(a, b)
            return .bool(x > y)
        case .greaterEq:
            let (x, y) = try compare(a, b)
            return .bool(x >= y)
        case .add, .sub, .mul:
            guard case .long(let x) = a else { throw .typeError(expected: "long", got: a) }
            guard case .long(let y) = b else { throw .typeError(expected: "long", got: b) }
            let (r, o): (Int64, Bool)
            let name: String
            switch op {
            case .add: ((r, o), name) = (x.addingReportingOverflow(y), "add")
            case .sub: ((r, o), name) = (x.subtractingReportingOverflow(y), "subtract")
            default: ((r, o), name) = (x.multipliedReportingOverflow(by: y), "multiply")
            }
            if o { throw .overflow(name, x, y) }
            return .long(r)
        case .in:
            guard case .entity(let uid) = a else { throw .typeError(expected: "entity", got: a) }
            switch b {
            case .entity(let target): return .bool(isDescendant(uid, of: target))
            case .set(let targets):
                var found = false
                for t in targets {
                    guard case .entity(let target) = t else { throw .typeError(expected: "entity", got: t) }
                    if !found, isDescendant(uid, of: target) { found = true }
                }
                return .bool(found)
            default: throw .typeError(expected: "entity or set of entities", got: b)
            }
        case .contains:
            guard case .set(let s) = a else { throw .typeError(expected: "set", got: a) }
            return .bool(s.contains(b))
        case .containsAll, .containsAny:
            guard case .set(let s) = a else { throw .typeError(expected: "set", got: a) }
            guard case .set(let t) = b else { throw .typeError(expected: "set", got: b) }
            return .bool(op == .containsAll ? t.isSubset(of: s) : !s.isDisjoint(with: t))
        case .hasTag, .getTag:
            guard case .entity(let uid) = a else { throw .typeError(expected: "entity", got: a) }
            guard case .string(let key) = b else { throw .typeError(expected: "string", got: b) }
            let found = tag(of: uid, key)
            if op == .hasTag { return .bool((found ?? nil) != nil) }
            guard let found else { throw EvaluationError(.entityDoesNotExist, "entity `\(uid)` does not exist") }
            guard let v = found else {
                throw EvaluationError(.tagDoesNotExist, "`\(uid)` does not have the tag `\(key)`")
            }
            return v
        }
    }
}
