/// How strictly the validator types policies.
public enum ValidationMode: String, Sendable, Hashable, CaseIterable {
    /// The default: mixed entity types, records of different shapes, empty set literals and
    /// non-literal extension constructor arguments are errors.
    case strict
    /// Allows unions of entity types and records of different shapes.
    case permissive
}

/// One validation error (or warning, ``ValidationReport/warnings``) in one policy.
public struct PolicyValidationError: Sendable, Hashable, CustomStringConvertible {
    /// The policy's id.
    public let policyID: String
    /// Where the policy starts (`nil` for policies parsed from JSON).
    public let location: SourceLocation?
    /// What is wrong.
    public let message: String
    /// The offending expression, in Cedar syntax, when there is one.
    public let expression: String?
    /// The warning Cedar's validator gives a policy that type-checks but whose scope and conditions are false for
    /// every request the schema allows (`impossiblePolicy`): it never applies, so a misspelled `has` silently
    /// disables a `forbid`.
    public static let impossiblePolicy = "policy is impossible: the policy expression evaluates to false for all valid requests"

    /// `policy0 (3:1): message in `expr``.
    public var description: String {
        var s = "policy `\(policyID)`"
        if let location { s += " at \(location)" }
        s += ": \(message)"
        if let expression { s += " in `\(expression)`" }
        return s
    }
}

/// The validator's verdict on a policy set.
public struct ValidationReport: Sendable, Hashable {
    /// Every error, in policy order.
    public let errors: [PolicyValidationError]
    /// The ids of every policy checked, in order.
    public let policyIDs: [String]
    /// Every warning, in policy order: a valid policy that can never apply (Cedar's `impossiblePolicy`,
    /// ``PolicyValidationError/impossiblePolicy``). A warning does not make the set invalid.
    public var warnings: [PolicyValidationError] = []

    /// Whether no policy has an error.
    public var isValid: Bool { errors.isEmpty }

    /// Whether the policy with this id passed.
    public func isValid(policy id: String) -> Bool { !errors.contains { $0.policyID == id } }
}

/// Type-checks policies against a ``Schema`` (Cedar's validator): unknown entity types and
/// actions, unknown or unguarded optional attributes and tags, operator type mismatches,
/// empty set literals, invalid extension constructor arguments and policies whose scope no
/// action of the schema applies to.
///
/// ```swift
/// let report = Validator(schema: schema).validate(policies)
/// for e in report.errors { print(e) }
/// ```
public struct Validator: Sendable {
    /// The schema policies are checked against.
    public let schema: Schema
    /// Strict (default) or permissive.
    public let mode: ValidationMode

    let tables: TypeTables

    /// Creates a validator (precomputing the schema's types once).
    public init(schema: Schema, mode: ValidationMode = .strict) {
        self.schema = schema
        self.mode = mode
        self.tables = TypeTables(schema)
    }

    /// Validates every static policy and template of a set (linked policies are checked through their templates).
    public func validate(_ set: PolicySet) -> ValidationReport {
        var (errors, warnings, ids) = ([PolicyValidationError](), [PolicyValidationError](), [String]())
        for p in set.staticPolicies + set.templates {
            ids.append(p.id)
            let checked = check(p)
            errors += checked.errors
            warnings += checked.warnings
        }
        return ValidationReport(errors: errors, policyIDs: ids, warnings: warnings)
    }

    /// Validates one policy or template; returns its errors (deduplicated, in order found).
    public func validate(_ policy: Policy) -> [PolicyValidationError] { check(policy).errors }

    /// One policy's errors (deduplicated, in order found) and warnings.
    private func check(_ policy: Policy) -> (errors: [PolicyValidationError], warnings: [PolicyValidationError]) {
        var checker = TypeChecker(schema: schema, tables: tables, strict: mode == .strict, policy: policy)
        checker.run()
        var seen = Set<String>()
        return (checker.errors.filter { seen.insert($0.message + "\u{0}" + ($0.expression ?? "")).inserted }, checker.warnings)
    }
}

/// A type as the checker sees it.
enum VType: Hashable, Sendable, CustomStringConvertible {
    enum BoolKind: Hashable, Sendable { case any, tt, ff }
    /// The element type of an empty set: compatible with everything.
    case never
    case bool(BoolKind)
    case long
    case string
    case entity(Set<EntityType>)
    indirect case set(VType)
    /// Keys compare by Unicode scalars (`CedarString`), as Cedar does, not by canonical equivalence.
    case record([CedarString: VAttr], open: Bool)
    case ext(String)

    static let anyBool = VType.bool(.any)

    var description: String {
        switch self {
        case .never: "Never"
        case .bool(.any): "Bool"
        case .bool(.tt): "__cedar::internal::True"
        case .bool(.ff): "__cedar::internal::False"
        case .long: "Long"
        case .string: "String"
        case .entity(let s): s.map(\.name).sorted().joined(separator: " | ")
        case .set(let e): "Set<\(e)>"
        case .record(let a, _):
            "{"
                + a.sorted { $0.key.value < $1.key.value }.map { "\($0.key.value)\($0.value.required ? "" : "?"): \($0.value.type)" }
                .joined(separator: ", ") + "}"
        case .ext(let n): n
        }
    }

    var kind: String {
        switch self {
        case .never: "Never"
        case .bool: "Bool"
        case .long: "Long"
        case .string: "String"
        case .entity: "Entity"
        case .set: "Set"
        case .record: "Record"
        case .ext(let n): n
        }
    }

    init(_ t: SchemaType) {
        switch t {
        case .bool: self = .anyBool
        case .long: self = .long
        case .string: self = .string
        case .entity(let e): self = .entity([e])
        case .set(let e): self = .set(VType(e))
        case .record(let r):
            var attrs: [CedarString: VAttr] = [:]
            for (k, a) in r.attributes { attrs[CedarString(k)] = VAttr(type: VType(a.type), required: a.isRequired) }
            self = .record(attrs, open: false)
        case .extension(let n): self = .ext(n)
        }
    }
}

/// The schema's types converted once for the checker.
struct TypeTables: Sendable {
    var attributes: [EntityType: [CedarString: VAttr]] = [:]
    var tags: [EntityType: VType] = [:]
    var contexts: [EntityUID: VType] = [:]
    /// Actions with equal contexts share an id.
    var contextIDs: [EntityUID: Int] = [:]
    /// Every action, in a fixed order (by uid text).
    var sortedActions: [ActionDeclaration] = []

    init(_ schema: Schema) {
        var ids: [RecordType: Int] = [:]
        for (uid, decl) in schema.actions {
            if let id = ids[decl.context] {
                contextIDs[uid] = id
            } else {
                ids[decl.context] = ids.count
                contextIDs[uid] = ids.count - 1
            }
        }
        for (t, decl) in schema.entityTypes {
            if case .record(let attrs, _) = VType(.record(decl.attributes)) { attributes[t] = attrs }
            if let tag = decl.tags { tags[t] = VType(tag) }
        }
        for (uid, decl) in schema.actions { contexts[uid] = VType(.record(decl.context)) }
        sortedActions = schema.actions.values.map { ($0.uid.description, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

struct VAttr: Hashable, Sendable {
    var type: VType
    var required: Bool
}

/// What is known to hold when an expression is true: `e has a` and `e.hasTag(k)` facts.
enum Capability: Hashable {
    case attr(Expr, CedarString)
    case tag(Expr, Expr)
}

struct Typed {
    var type: VType?
    var caps: Set<Capability> = []
    static let failed = Typed(type: nil)
}

struct TypeChecker {
    struct Environment {
        var principal: EntityType?
        var action: EntityUID
        var resource: EntityType?
    }

    let schema: Schema
    let tables: TypeTables
    let strict: Bool
    let policy: Policy
    var errors: [PolicyValidationError] = []
    var warnings: [PolicyValidationError] = []
    var env: Environment?
    /// Constructor calls with literal arguments that do not parse (found once per policy, not per environment).
    var badLiterals: [Expr: String] = [:]
    /// The current environment's variable types, built once per environment.
    var principalType: VType?
    var resourceType: VType?
    var actionType: VType?
    var contextType: VType?

    init(schema: Schema, tables: TypeTables, strict: Bool, policy: Policy) {
        self.schema = schema
        self.tables = tables
        self.strict = strict
        self.policy = policy
    }

    mutating func error(_ message: String, _ e: Expr? = nil) {
        errors.append(
            PolicyValidationError(
                policyID: policy.id,
                location: policy.location,
                message: message,
                expression: e.map { PolicyFormatter.expression($0) }
            )
        )
    }

    // MARK: Scope

    mutating func checkKnown(_ uid: EntityUID) -> Bool {
        if uid.type.isActionType && schema.actionTypes.contains(uid.type) || uid.type.isActionType && schema.entityTypes[uid.type] == nil {
            guard schema.actions[uid] != nil else {
                error("unrecognized action `\(uid)`")
                return false
            }
            return true
        }
        guard let decl = schema.entityTypes[uid.type] else {
            error("unrecognized entity type `\(uid.type)`")
            return false
        }
        if let ids = decl.enumeratedIDs, !ids.contains(where: { CedarString($0) == uid.id }) {
            error("entity `\(uid)` is not one of the values of the enumerated entity type `\(uid.type)`")
            return false
        }
        return true
    }

    /// The types a scope constraint allows, from `candidates`; `nil` when an entity in it is unknown.
    mutating func filter(_ c: ScopeConstraint, _ candidates: [EntityType]) -> [EntityType]? {
        switch c {
        case .any, .equals(.slot), .in(.slot): return candidates
        case .equals(.entity(let uid)):
            guard checkKnown(uid) else { return nil }
            return candidates.filter { $0 == uid.type }
        case .in(.entity(let uid)):
            guard checkKnown(uid) else { return nil }
            return candidates.filter { schema.mayBeIn($0, uid.type) }
        case .is(let t):
            guard schema.isKnown(t) else {
                error("unrecognized entity type `\(t)`")
                return nil
            }
            return candidates.filter { $0 == t }
        case .isIn(let t, let r):
            guard schema.isKnown(t) else {
                error("unrecognized entity type `\(t)`")
                return nil
            }
            if case .entity(let uid) = r {
                guard checkKnown(uid) else { return nil }
                return candidates.filter { $0 == t && schema.mayBeIn($0, uid.type) }
            }
            return candidates.filter { $0 == t }
        }
    }

    mutating func environments() -> [Environment]? {
        var actions: [ActionDeclaration]
        switch policy.action {
        case .any: actions = tables.sortedActions
        case .equals(let uid):
            guard checkKnown(uid), let a = schema.actions[uid] else { return nil }
            actions = [a]
        case .in(let uid):
            guard checkKnown(uid) else { return nil }
            actions = tables.sortedActions.filter { $0.uid == uid || schema.actionAncestors[$0.uid]?.contains(uid) == true }
        case .inSet(let uids):
            var ok = true
            for u in uids where !checkKnown(u) { ok = false }
            guard ok else { return nil }
            let set = Set(uids)
            actions = tables.sortedActions.filter { set.contains($0.uid) || !(schema.actionAncestors[$0.uid] ?? []).isDisjoint(with: set) }
        }
        var out: [Environment] = []
        var scopeOK = true
        for a in actions {
            guard let ps = filter(policy.principal, a.principalTypes), let rs = filter(policy.resource, a.resourceTypes) else {
                scopeOK = false
                break
            }
            for p in ps { for r in rs { out.append(Environment(principal: p, action: a.uid, resource: r)) } }
        }
        guard scopeOK else { return nil }
        return out
    }

    /// The request variables (and slots, as their variables) an expression mentions.
    static func variables(_ e: Expr, into used: inout Set<Variable>) {
        var pending = [e]
        while let x = pending.popLast() {
            switch x {
            case .variable(let v): used.insert(v)
            case .slot(.principal): used.insert(.principal)
            case .slot(.resource): used.insert(.resource)
            case .steps: used = Set(Variable.allCases)
            default: break
            }
            pending += x.children
        }
    }

    /// Entity literals and `is` types anywhere in the conditions (reachable or not) must be declared, as in the reference.
    /// Walked in source order with an explicit stack (``Expr/children``), so no policy depth reaches the call stack.
    mutating func checkNames(_ e: Expr) {
        var pending = [e]
        while let x = pending.popLast() {
            switch x {
            case .literal(let v): checkNames(v)
            case .isType(_, let t), .isIn(_, let t, _): if !schema.isKnown(t) { error("unrecognized entity type `\(t)`") }
            case .call(let fn, let xs): noteBadLiteral(fn, xs, x)
            default: break
            }
            pending += x.children.reversed()
        }
    }

    private mutating func noteBadLiteral(_ fn: ExtensionFunction, _ xs: [Expr], _ e: Expr) {
        if fn.isConstructor, xs.count == 1, case .literal(.string(let str)) = xs[0],
            case .failure(let err) = Evaluator.callExtension(fn, [.string(str)])
        {
            badLiterals[e] = "\(err)"
        }
    }

    mutating func checkNames(_ v: CedarValue) {
        switch v {
        case .entity(let uid): _ = checkKnown(uid)
        case .set(let s): for x in s { checkNames(x) }
        case .record(let r): for x in r.values { checkNames(x) }
        default: break
        }
    }

    mutating func run() {
        let before = errors.count
        for c in policy.conditions { checkNames(c.body) }
        guard let envs = environments(), errors.count == before else { return }
        if envs.isEmpty {
            error("unable to find an applicable action given the policy scope constraints")
            return
        }
        // Checking depends on the action only through its entity type and context, so actions
        // that agree on both share one run per (principal, resource) pair.
        // Variables the conditions never mention do not matter either.
        struct Key: Hashable {
            var principal: EntityType?
            var resource: EntityType?
            var action: EntityUID?
            var context: Int
        }
        var used = Set<Variable>()
        for c in policy.conditions { Self.variables(c.body, into: &used) }
        var seen = Set<Key>()
        var applicable = false
        for e in envs {
            let key = Key(
                principal: used.contains(.principal) ? e.principal : nil,
                resource: used.contains(.resource) ? e.resource : nil,
                action: used.contains(.action) ? e.action : nil,
                context: used.contains(.context) ? tables.contextIDs[e.action] ?? -1 : 0
            )
            guard seen.insert(key).inserted else { continue }
            env = e
            principalType = e.principal.map { .entity([$0]) }
            resourceType = e.resource.map { .entity([$0]) }
            actionType = .entity([e.action.type])
            contextType = tables.contexts[e.action]
            // The conditions form one `&&` chain (as the reference desugars them): facts from
            // earlier conditions hold in later ones, and a condition that is always false
            // (`when { false }`, `unless { true }`) makes the rest unreachable.
            var caps: Set<Capability> = []
            var applies = true
            for c in policy.conditions {
                let t = check(c.body, caps)
                guard expect(t, c.body, "Bool"), case .bool(let k)? = t.type else { continue }
                if k == (c.isWhen ? .ff : .tt) {
                    applies = false
                    break
                }
                if c.isWhen { caps.formUnion(t.caps) }
            }
            applicable = applicable || applies
        }
        // Typed as the singleton False in every environment: Cedar's `impossiblePolicy` warning.
        if !applicable, errors.count == before {
            warnings.append(
                PolicyValidationError(
                    policyID: policy.id,
                    location: policy.location,
                    message: PolicyValidationError.impossiblePolicy,
                    expression: nil
                )
            )
        }
    }

    // MARK: Types

    func lub(_ a: VType, _ b: VType) -> VType? {
        switch (a, b) {
        case (.never, _): return b
        case (_, .never): return a
        case (.bool(let x), .bool(let y)): return .bool(x == y ? x : .any)
        case (.long, .long): return .long
        case (.string, .string): return .string
        case (.ext(let x), .ext(let y)): return x == y ? a : nil
        case (.entity(let x), .entity(let y)):
            if x == y { return a }
            return strict ? nil : .entity(x.union(y))
        case (.set(let x), .set(let y)): return lub(x, y).map { .set($0) }
        case (.record(let x, let ox), .record(let y, let oy)):
            if strict {
                guard Set(x.keys) == Set(y.keys), ox == oy else { return nil }
            }
            var out: [CedarString: VAttr] = [:]
            for (k, ax) in x {
                guard let ay = y[k] else { continue }
                if strict && ax.required != ay.required { return nil }
                guard let t = lub(ax.type, ay.type) else { return nil }
                out[k] = VAttr(type: t, required: ax.required && ay.required)
            }
            return .record(out, open: ox || oy || out.count != x.count || out.count != y.count)
        default: return nil
        }
    }

    /// Checks that `t` has the kind named `kind` (`Bool`, `Long`, `String`, `Entity`, `Set`, `Record` or an extension name).
    mutating func expect(_ t: Typed, _ e: Expr, _ kind: String) -> Bool {
        guard let type = t.type else { return false }
        if type.kind == kind || type == .never { return true }
        error("unexpected type: expected \(kind) but saw \(type)", e)
        return false
    }

    mutating func unify(_ a: VType?, _ b: VType?, _ e: Expr) -> VType? {
        guard let a, let b else { return nil }
        if let t = lub(a, b) { return t }
        error("the types \(a) and \(b) are not compatible", e)
        return nil
    }

    mutating func check(_ e: Expr, _ caps: Set<Capability>) -> Typed {
        guard env != nil else { return .failed }
        switch e {
        case .literal(let v): return Typed(type: literalType(v, e))
        case .variable(.principal): return Typed(type: principalType)
        case .variable(.resource): return Typed(type: resourceType)
        case .variable(.action): return Typed(type: actionType)
        case .variable(.context): return Typed(type: contextType)
        case .slot(.principal): return Typed(type: principalType)
        case .slot(.resource): return Typed(type: resourceType)
        case .not(let x): return checkNot(x, e, caps)
        case .negate(let x): return checkNegate(x, e, caps)
        case .and, .or, .allOf, .anyOf: return checkLogic(e, caps)
        case .ifThenElse(let c, let a, let b): return checkIfThenElse(c, a, b, e, caps)
        case .binary(let op, let a, let b): return binary(op, a, b, e, caps)
        case .getAttr(let x, let name): return checkGetAttr(x, name, e, caps)
        case .hasAttr(let x, let name): return checkHasAttr(x, name, e, caps)
        case .like(let x, _): return checkLike(x, e, caps)
        case .isType(let x, let t): return checkIsType(x, t, e, caps)
        case .isIn(let x, let t, let y): return checkIsIn(x, t, y, e, caps)
        case .isEmpty(let x): return checkIsEmpty(x, e, caps)
        case .set(let elements): return checkSet(elements, e, caps)
        case .record(let fields): return checkRecord(fields, e, caps)
        case .call(let fn, let args): return call(fn, args, e, caps)
        case .steps: return .failed
        }
    }

    // Each case in a function of its own: in a debug build a function reserves stack for the
    // locals of every case, and `check` recurses once per level of a policy (docs/cedar.md, "Limits").

    private mutating func checkNot(_ x: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let t = check(x, caps)
        guard expect(t, x, "Bool"), case .bool(let k)? = t.type else { return .failed }
        return Typed(type: .bool(k == .tt ? .ff : k == .ff ? .tt : .any))
    }

    private mutating func checkNegate(_ x: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let t = check(x, caps)
        return expect(t, x, "Long") ? Typed(type: .long) : .failed
    }

    /// A `&&` or `||` chain of any length, typed as the left-nested binary operators it stands
    /// for (`a && b && c` as `(a && b) && c`), in one loop: the recursion is per operand's own
    /// nesting, never per operand.
    private mutating func checkLogic(_ e: Expr, _ caps: Set<Capability>) -> Typed {
        guard let (isAnd, operands) = e.logicChain, let first = operands.first else { return .failed }
        var left = check(first, caps)
        var okLeft = expect(left, first, "Bool")
        for right in operands.dropFirst() {
            let step = isAnd ? andStep(left, okLeft, right, caps) : orStep(left, okLeft, right, caps)
            if step.done { return step.typed }
            left = step.typed
            okLeft = step.typed.type != nil
        }
        return left
    }

    /// `left && right`, where `left` (the chain so far) is typed already; `done` when the rest of
    /// the chain is not checked (`false && …`, as the reference does).
    private mutating func andStep(_ ta: Typed, _ okA: Bool, _ b: Expr, _ caps: Set<Capability>) -> (typed: Typed, done: Bool) {
        if case .bool(.ff)? = ta.type { return (Typed(type: .bool(.ff)), true) }
        let tb = check(b, caps.union(ta.caps))
        let okB = expect(tb, b, "Bool")
        guard okA, okB, case .bool(let ka)? = ta.type, case .bool(let kb)? = tb.type else { return (.failed, false) }
        let k: VType.BoolKind = kb == .ff ? .ff : (ka == .tt && kb == .tt ? .tt : .any)
        return (Typed(type: .bool(k), caps: ta.caps.union(tb.caps)), false)
    }

    /// `left || right`, as ``andStep(_:_:_:_:)`` (`true || …` ends the chain).
    private mutating func orStep(_ ta: Typed, _ okA: Bool, _ b: Expr, _ caps: Set<Capability>) -> (typed: Typed, done: Bool) {
        if case .bool(.tt)? = ta.type { return (Typed(type: .bool(.tt), caps: ta.caps), true) }
        let tb = check(b, caps)
        let okB = expect(tb, b, "Bool")
        guard okA, okB, case .bool(let ka)? = ta.type, case .bool(let kb)? = tb.type else { return (.failed, false) }
        if ka == .ff { return (tb, false) }
        let k: VType.BoolKind = kb == .tt ? .tt : .any
        return (Typed(type: .bool(k), caps: kb == .ff ? ta.caps : ta.caps.intersection(tb.caps)), false)
    }

    private mutating func checkIfThenElse(_ c: Expr, _ a: Expr, _ b: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let tc = check(c, caps)
        guard expect(tc, c, "Bool"), case .bool(let kc)? = tc.type else {
            _ = check(a, caps)
            _ = check(b, caps)
            return .failed
        }
        if kc == .tt {
            var t = check(a, caps.union(tc.caps))
            t.caps.formUnion(tc.caps)
            return t
        }
        if kc == .ff { return check(b, caps) }
        let ta = check(a, caps.union(tc.caps))
        let tb = check(b, caps)
        guard let t = unify(ta.type, tb.type, e) else { return .failed }
        return Typed(type: t, caps: tc.caps.union(ta.caps).intersection(tb.caps))
    }

    private mutating func checkGetAttr(_ x: Expr, _ name: CedarString, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let t = check(x, caps)
        return checkGetAttrResult(t, x, name, e, caps)
    }

    private mutating func checkGetAttrResult(_ t: Typed, _ x: Expr, _ name: CedarString, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        guard let type = t.type else { return .failed }
        switch attribute(of: type, name) {
        case .notRecordOrEntity:
            error("unexpected type: expected Entity or Record but saw \(type)", x)
            return .failed
        case .missing(let owner):
            error("attribute `\(name.value)` on \(owner) not found", e)
            return .failed
        case .found(let a):
            if !a.required && !caps.contains(.attr(x, name)) {
                error("unable to guarantee safety of access to optional attribute `\(name.value)`", e)
                return .failed
            }
            return Typed(type: a.type)
        }
    }

    private mutating func checkHasAttr(_ x: Expr, _ name: CedarString, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let t = check(x, caps)
        return checkHasAttrResult(t, x, name, e, caps)
    }

    private mutating func checkHasAttrResult(_ t: Typed, _ x: Expr, _ name: CedarString, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        guard let type = t.type else { return .failed }
        let cap = Capability.attr(x, name)
        if caps.contains(cap) { return Typed(type: .bool(.tt), caps: [cap]) }
        switch attribute(of: type, name) {
        case .notRecordOrEntity:
            error("unexpected type: expected Entity or Record but saw \(type)", x)
            return .failed
        case .missing:
            if case .record(_, true) = type { return Typed(type: .anyBool, caps: [cap]) }
            if case .entity(let ts) = type, ts.contains(where: { hasAttribute($0, name) }) {
                return Typed(type: .anyBool, caps: [cap])
            }
            return Typed(type: .bool(.ff))
        case .found(let a):
            if case .record = type, a.required { return Typed(type: .bool(.tt), caps: [cap]) }
            return Typed(type: .anyBool, caps: [cap])
        }
    }

    private mutating func checkLike(_ x: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        expect(check(x, caps), x, "String") ? Typed(type: .anyBool) : .failed
    }

    private mutating func checkIsType(_ x: Expr, _ t: EntityType, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let tx = check(x, caps)
        return checkIsTypeResult(tx, x, t, e, caps)
    }

    private mutating func checkIsTypeResult(_ tx: Typed, _ x: Expr, _ t: EntityType, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        guard schema.isKnown(t) else {
            error("unrecognized entity type `\(t)`", e)
            return .failed
        }
        guard expect(tx, x, "Entity"), case .entity(let ts)? = tx.type else { return .failed }
        if ts.count == 1 && ts.contains(t) { return Typed(type: .bool(.tt)) }
        return Typed(type: .bool(ts.contains(t) ? .any : .ff))
    }

    private mutating func checkIsIn(_ x: Expr, _ t: EntityType, _ y: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let isPart = check(.isType(x, t), caps)
        if case .bool(.ff)? = isPart.type { return isPart }
        let inPart = binary(.in, x, y, e, caps)
        guard case .bool(let k1)? = isPart.type, case .bool(let k2)? = inPart.type else { return .failed }
        if k1 == .ff || k2 == .ff { return Typed(type: .bool(.ff)) }
        return Typed(type: .bool(k1 == .tt && k2 == .tt ? .tt : .any))
    }

    private mutating func checkIsEmpty(_ x: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        expect(check(x, caps), x, "Set") ? Typed(type: .anyBool) : .failed
    }

    private mutating func checkSet(_ elements: [Expr], _ e: Expr, _ caps: Set<Capability>) -> Typed {
        if elements.isEmpty {
            if strict {
                error("empty set literals are forbidden in policies", e)
                return .failed
            }
            return Typed(type: .set(.never))
        }
        var result: VType? = .never
        var failed = false
        for el in elements {
            let t = check(el, caps)
            guard let type = t.type else {
                failed = true
                continue
            }
            if let r = result { result = unify(r, type, e) }
        }
        guard !failed, let result else { return .failed }
        return Typed(type: .set(result))
    }

    private mutating func checkRecord(_ fields: [RecordField], _ e: Expr, _ caps: Set<Capability>) -> Typed {
        var attrs: [CedarString: VAttr] = [:]
        var failed = false
        for f in fields {
            guard let t = check(f.value, caps).type else {
                failed = true
                continue
            }
            attrs[f.key] = VAttr(type: t, required: true)
        }
        return failed ? .failed : Typed(type: .record(attrs, open: false))
    }

    func hasAttribute(_ t: EntityType, _ name: CedarString) -> Bool {
        tables.attributes[t]?[name] != nil
    }

    enum AttributeLookup {
        case notRecordOrEntity
        case missing(String)
        case found(VAttr)
    }

    func attribute(of type: VType, _ name: CedarString) -> AttributeLookup {
        switch type {
        case .record(let attrs, _):
            guard let a = attrs[name] else { return .missing("record type \(type)") }
            return .found(a)
        case .entity(let ts):
            if ts.count == 1, let t = ts.first {
                guard let v = tables.attributes[t]?[name] else { return .missing("entity type `\(t)`") }
                return .found(v)
            }
            var result: VAttr?
            for t in ts.sorted(by: { $0.name < $1.name }) {
                guard let v = tables.attributes[t]?[name] else { return .missing("entity type `\(t)`") }
                if let r = result {
                    guard let l = lub(r.type, v.type) else { return .missing("entity type `\(t)`") }
                    result = VAttr(type: l, required: r.required && v.required)
                } else {
                    result = v
                }
            }
            return result.map { .found($0) } ?? .missing("entity type")
        default: return .notRecordOrEntity
        }
    }

    mutating func literalType(_ v: CedarValue, _ e: Expr) -> VType? {
        switch v {
        case .bool(let b): return .bool(b ? .tt : .ff)
        case .long: return .long
        case .string: return .string
        case .entity(let uid):
            guard checkKnown(uid) else { return nil }
            return .entity([uid.type])
        case .set(let s):
            var r: VType = .never
            for x in s {
                guard let t = literalType(x, e), let l = unify(r, t, e) else { return nil }
                r = l
            }
            return .set(r)
        case .record(let r):
            var attrs: [CedarString: VAttr] = [:]
            for (k, x) in r {
                guard let t = literalType(x, e) else { return nil }
                attrs[k] = VAttr(type: t, required: true)
            }
            return .record(attrs, open: false)
        case .extensionValue(let x): return .ext(x.typeName)
        }
    }

    /// The action an expression certainly denotes in the current environment: the `action`
    /// variable, or an action entity literal.
    func knownAction(_ e: Expr) -> EntityUID? {
        switch e {
        case .variable(.action): return env?.action
        case .literal(.entity(let uid)) where schema.actions[uid] != nil: return uid
        default: return nil
        }
    }

    /// The actions of an `in` right-hand side made only of known actions.
    func knownActions(_ e: Expr) -> [EntityUID]? {
        if let a = knownAction(e) { return [a] }
        guard case .set(let xs) = e else { return nil }
        var out: [EntityUID] = []
        for x in xs {
            guard let a = knownAction(x) else { return nil }
            out.append(a)
        }
        return out
    }

    mutating func binary(_ op: BinaryOp, _ a: Expr, _ b: Expr, _ e: Expr, _ caps: Set<Capability>) -> Typed {
        let ta = check(a, caps)
        let tb = check(b, caps)
        return binary(op, a, b, ta, tb, e, caps)
    }

    /// The type of `a op b` once both operands are typed (not recursive: see ``check(_:_:)``).
    private mutating func binary(
        _ op: BinaryOp,
        _ a: Expr,
        _ b: Expr,
        _ ta: Typed,
        _ tb: Typed,
        _ e: Expr,
        _ caps: Set<Capability>
    ) -> Typed {
        // The request's action is known in each environment: comparing it with literals, or testing
        // it against literal action groups, has a known outcome (as in the reference).
        if let action = env?.action, ta.type != nil, tb.type != nil {
            switch (op, a, b) {
            case (.eq, .variable(.action), .literal(let v)), (.eq, .literal(let v), .variable(.action)):
                return Typed(type: .bool(v == .entity(action) ? .tt : .ff))
            case (.notEq, .variable(.action), .literal(let v)), (.notEq, .literal(let v), .variable(.action)):
                return Typed(type: .bool(v == .entity(action) ? .ff : .tt))
            case (.eq, .variable(.action), .variable(.action)): return Typed(type: .bool(.tt))
            case (.notEq, .variable(.action), .variable(.action)): return Typed(type: .bool(.ff))
            case (.in, _, _):
                if let member = knownAction(a), let groups = knownActions(b) {
                    let ancestors = schema.actionAncestors[member] ?? []
                    return Typed(type: .bool(groups.contains { $0 == member || ancestors.contains($0) } ? .tt : .ff))
                }
            default: break
            }
        }
        switch op {
        case .eq, .notEq:
            if case .literal(let x) = a, case .literal(let y) = b, ta.type != nil, tb.type != nil {
                return Typed(type: .bool((x == y) == (op == .eq) ? .tt : .ff))
            }
            guard let x = ta.type, let y = tb.type else { return .failed }
            // Entities of any two types may be compared (the reference types it false when disjoint).
            if case .entity(let l) = x, case .entity(let r) = y {
                return Typed(type: l.isDisjoint(with: r) ? .bool(op == .eq ? .ff : .tt) : .anyBool)
            }
            if lub(x, y) == nil {
                if strict {
                    error("the types \(x) and \(y) are not compatible", e)
                    return .failed
                }
                return Typed(type: .bool(op == .eq ? .ff : .tt))
            }
            return Typed(type: .anyBool)
        case .less, .lessEq, .greater, .greaterEq:
            guard let x = ta.type, let y = tb.type else { return .failed }
            switch (x, y) {
            case (.long, .long), (.ext("datetime"), .ext("datetime")), (.ext("duration"), .ext("duration")):
                return Typed(type: .anyBool)
            default:
                if x.kind == "Long" || x.kind == "datetime" || x.kind == "duration" {
                    error("the types \(x) and \(y) are not compatible", e)
                } else {
                    error("unexpected type: expected Long, datetime or duration but saw \(x)", a)
                }
                return .failed
            }
        case .add, .sub, .mul:
            let okA = expect(ta, a, "Long")
            let okB = expect(tb, b, "Long")
            return okA && okB ? Typed(type: .long) : .failed
        case .in:
            let okA = expect(ta, a, "Entity")
            guard let y = tb.type else { return .failed }
            var rhsTypes: Set<EntityType>
            switch y {
            case .entity(let ts): rhsTypes = ts
            case .set(.entity(let ts)): rhsTypes = ts
            case .set(.never): rhsTypes = []
            default:
                error("unexpected type: expected Entity or Set<Entity> but saw \(y)", b)
                return .failed
            }
            guard okA, case .entity(let lhsTypes)? = ta.type else { return .failed }
            let possible = lhsTypes.contains { l in rhsTypes.contains { r in schema.mayBeIn(l, r) } }
            return Typed(type: .bool(possible ? .any : .ff))
        case .contains:
            guard expect(ta, a, "Set"), case .set(let el)? = ta.type, let y = tb.type else { return .failed }
            // Permissive mode allows any element type (the reference's behaviour).
            guard !strict || unify(el, y, e) != nil else { return .failed }
            return Typed(type: .anyBool)
        case .containsAll, .containsAny:
            let okA = expect(ta, a, "Set")
            let okB = expect(tb, b, "Set")
            guard okA, okB, case .set(let x)? = ta.type, case .set(let y)? = tb.type else { return .failed }
            guard !strict || unify(.set(x), .set(y), e) != nil else { return .failed }
            return Typed(type: .anyBool)
        case .hasTag, .getTag:
            let okA = expect(ta, a, "Entity")
            let okB = expect(tb, b, "String")
            guard okA, okB, case .entity(let ts)? = ta.type else { return .failed }
            let cap = Capability.tag(a, b)
            var tagType: VType?
            var allHaveTags = true
            for t in ts.count == 1 ? Array(ts) : ts.sorted(by: { $0.name < $1.name }) {
                guard let tags = tables.tags[t] else {
                    allHaveTags = false
                    continue
                }
                if let r = tagType {
                    tagType = lub(r, tags)
                } else {
                    tagType = tags
                }
            }
            if op == .hasTag {
                if caps.contains(cap) { return Typed(type: .bool(.tt), caps: [cap]) }
                return tagType == nil ? Typed(type: .bool(.ff)) : Typed(type: .anyBool, caps: [cap])
            }
            guard caps.contains(cap), allHaveTags, let tagType else {
                error(
                    "unable to guarantee safety of access to tag `\(PolicyFormatter.expression(b))` on entity type `\(ts.map(\.name).sorted().joined(separator: " | "))`",
                    e
                )
                return .failed
            }
            return Typed(type: tagType)
        }
    }

    mutating func call(_ fn: ExtensionFunction, _ args: [Expr], _ e: Expr, _ caps: Set<Capability>) -> Typed {
        var typed: [Typed] = []
        for arg in args { typed.append(check(arg, caps)) }
        return call(fn, args, typed, e)
    }

    /// The type of a call once its arguments are typed (not recursive: see ``check(_:_:)``).
    private mutating func call(_ fn: ExtensionFunction, _ args: [Expr], _ typed: [Typed], _ e: Expr) -> Typed {
        guard fn.accepts(args.count) else {
            error("wrong number of arguments in extension function application. Expected \(fn.arityDescription), got \(args.count)", e)
            return .failed
        }
        if fn.isConstructor {
            let result: VType =
                switch fn {
                case .decimal: .ext("decimal")
                case .ip: .ext("ipaddr")
                case .datetime: .ext("datetime")
                default: .ext("duration")
                }
            guard case .literal(.string(let s)) = args[0] else {
                if strict {
                    error("extension constructors may not be called with non-literal expressions", e)
                    return .failed
                }
                return expect(typed[0], args[0], "String") ? Typed(type: result) : .failed
            }
            _ = s
            if !badLiterals.isEmpty, let err = badLiterals[e] {
                error("error during extension function argument validation: \(err)", e)
                return .failed
            }
            return Typed(type: result)
        }
        let (params, result): ([String], VType) =
            switch fn {
            case .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual: (["decimal", "decimal"], .anyBool)
            case .isIpv4, .isIpv6, .isLoopback, .isMulticast: (["ipaddr"], .anyBool)
            case .isInRange: (Array(repeating: "ipaddr", count: args.count), .anyBool)
            case .offset: (["datetime", "duration"], .ext("datetime"))
            case .durationSince: (["datetime", "datetime"], .ext("duration"))
            case .toDate: (["datetime"], .ext("datetime"))
            case .toTime: (["datetime"], .ext("duration"))
            default: (["duration"], .long)
            }
        var ok = true
        for (i, p) in params.enumerated() where !expect(typed[i], args[i], p) { ok = false }
        return ok ? Typed(type: result) : .failed
    }
}
