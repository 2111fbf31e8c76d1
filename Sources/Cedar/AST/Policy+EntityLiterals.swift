extension Policy {
    /// Every entity the policy names literally, in its scope and its conditions: `principal == User::"bob"`,
    /// `context.user != User::"bob"`, `[User::"a", User::"b"].contains(…)`. A template slot names none.
    ///
    /// Walked with an explicit stack (as ``Expr/depth`` is), so any policy the library holds is safe to walk.
    public var entityLiterals: Set<EntityUID> {
        var found = Set<EntityUID>()
        for case .entity(let uid)? in [principal.reference, resource.reference] { found.insert(uid) }
        switch action {
        case .any: break
        case .equals(let uid), .in(let uid): found.insert(uid)
        case .inSet(let uids): found.formUnion(uids)
        }
        var values: [CedarValue] = []
        var pending = conditions.map(\.body)
        while let expr = pending.popLast() {
            if case .literal(let value) = expr { values.append(value) }
            pending += expr.children
        }
        while let value = values.popLast() {
            switch value {
            case .entity(let uid): found.insert(uid)
            case .set(let members): values += members
            case .record(let fields): values += fields.values
            case .bool, .long, .string, .extensionValue: break
            }
        }
        return found
    }
}

extension ScopeConstraint {
    /// The entity or slot the constraint compares with; `nil` for `any` and a bare `is`.
    var reference: EntityReference? {
        switch self {
        case .any, .is: nil
        case .equals(let r), .in(let r), .isIn(_, let r): r
        }
    }
}
