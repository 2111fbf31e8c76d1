/// Reading a policy's scope and deriving narrower policies from it: what an authorization server
/// needs to grant *less* than a client asked for (Cedar profile for OAuth RAR, draft-cecchetti-oauth-rar-cedar §7).
///
/// Every derived policy is at most as permissive as the original: actions can only be removed,
/// conditions only added, and pinning the principal keeps the original principal constraint as a
/// condition.
extension Policy {
    /// The entity of a `principal == E` scope; `nil` for any other principal constraint.
    public var principalEntity: EntityUID? {
        if case .equals(.entity(let e)) = principal { return e }
        return nil
    }

    /// Whether the principal scope is just `principal` (any principal).
    public var principalIsUnconstrained: Bool { principal == .any }

    /// The entity a resource scope names: `resource == E`, `resource in E`, `resource is T in E`.
    public var resourceEntity: EntityUID? {
        switch resource {
        case .equals(.entity(let e)), .in(.entity(let e)), .isIn(_, .entity(let e)): return e
        default: return nil
        }
    }

    /// The entity type a resource scope requires: `resource is T`, `resource is T in E`.
    public var resourceType: EntityType? {
        switch resource {
        case .is(let t), .isIn(let t, _): return t
        default: return nil
        }
    }

    /// Whether the resource scope is exactly `resource == E` (one resource).
    public var resourceIsSingleEntity: Bool {
        if case .equals(.entity) = resource { return true }
        return false
    }

    /// The actions of an `action == A` or `action in [A, B, …]` scope; `nil` when the scope is
    /// unconstrained (`action`) or names an action group (`action in G`).
    public var actionEntities: [EntityUID]? {
        switch action {
        case .equals(let e): return [e]
        case .inSet(let list): return list
        case .any, .in: return nil
        }
    }

    /// A copy granting at most what this policy grants.
    ///
    /// - Parameters:
    ///   - pinned: pins the principal (`principal == E`); the original principal constraint,
    ///     if it was not `principal`, becomes a `when` condition so the result stays narrower.
    ///   - actions: the actions to keep; must be a non-empty subset of ``actionEntities``.
    ///   - extra: extra `when` conditions, appended after the policy's own.
    ///   - newID: the new policy's id (defaults to this policy's).
    /// - Returns: `nil` when `actions` is empty or names an action the policy does not grant.
    public func narrowed(
        principal pinned: EntityUID? = nil,
        actions: [EntityUID]? = nil,
        conditions extra: [PolicyCondition] = [],
        id newID: String? = nil
    ) -> Policy? {
        var newPrincipal = principal
        var newConditions = conditions
        if let pinned {
            newPrincipal = .equals(.entity(pinned))
            switch principal {
            case .any: break
            case .equals(.entity(let e)):
                if e != pinned { newConditions.append(Condition(isWhen: true, body: .literal(.bool(false)))) }
            case .in(.entity(let e)):
                newConditions.append(Condition(isWhen: true, body: .binary(.in, .variable(.principal), .literal(.entity(e)))))
            case .is(let t):
                newConditions.append(Condition(isWhen: true, body: .isType(.variable(.principal), t)))
            case .isIn(let t, .entity(let e)):
                newConditions.append(Condition(isWhen: true, body: .isIn(.variable(.principal), t, .literal(.entity(e)))))
            case .equals(.slot), .in(.slot), .isIn(_, .slot):
                return nil
            }
        }
        var newAction = action
        if let actions {
            guard !actions.isEmpty, let granted = actionEntities, actions.allSatisfy(granted.contains) else { return nil }
            var seen = Set<EntityUID>()
            let kept = granted.filter { actions.contains($0) && seen.insert($0).inserted }
            newAction = kept.count == 1 ? .equals(kept[0]) : .inSet(kept)
        }
        newConditions += extra.map { Condition(isWhen: true, body: $0.body) }
        return Policy(
            id: newID ?? id,
            effect: effect,
            annotations: annotations,
            principal: newPrincipal,
            action: newAction,
            resource: resource,
            conditions: newConditions,
            location: location
        )
    }
}

extension Policy {
    /// Whether this policy is `original` narrowed as ``narrowed(principal:actions:conditions:id:)`` narrows, so
    /// that it permits nothing `original` does not: a `permit` with the same resource scope, the same principal
    /// constraint or one pinned from it, a subset of its actions, and its conditions followed by any added ones.
    /// A `forbid` only as it is (an added condition would make it forbid less).
    /// - Parameter original: the policy this one may have been narrowed from.
    /// - Returns: `true` when it is such a narrowing.
    public func isNarrowing(of original: Policy) -> Bool {
        guard effect == original.effect, resource == original.resource else { return false }
        guard effect == .permit else { return sameAST(as: original) }
        let pinned = principal == original.principal ? nil : principalEntity
        let actions = action == original.action ? nil : actionEntities
        guard pinned != nil || principal == original.principal, actions != nil || action == original.action,
            let candidate = original.narrowed(principal: pinned, actions: actions)
        else { return false }
        return candidate.principal == principal && candidate.action == action && conditions.starts(with: candidate.conditions)
    }
}

/// A boolean Cedar expression to add to a policy as a `when` condition (for example
/// `context.amount.lessThanOrEqual(decimal("100.00"))`).
public struct PolicyCondition: Sendable, Hashable, CustomStringConvertible {
    let body: Expr

    /// Parses the expression inside `when { … }`.
    ///
    /// - Throws: ``CedarParseError`` (`policySyntax`) when the text is not exactly one expression.
    public init(parsing text: String) throws(CedarParseError) {
        let policies = try Parser.parsePolicies("permit (principal, action, resource) when {\n\(text)\n};", filename: nil).get()
        guard policies.count == 1, let only = policies.first, only.conditions.count == 1, !only.isTemplate else {
            throw CedarParseError(.policySyntax, "a condition must be exactly one Cedar expression")
        }
        body = only.conditions[0].body
    }

    /// The expression in Cedar syntax.
    public var description: String { PolicyFormatter.expression(body) }
}

extension PolicySet {
    /// A set of static policies (for example narrowed ones).
    ///
    /// - Throws: ``CedarParseError`` (`policySyntax`) when a policy is a template or two share an id.
    public init(policies: [Policy]) throws(CedarParseError) {
        self.init()
        for policy in policies {
            guard !policy.isTemplate else { throw CedarParseError(.policySyntax, "`\(policy.id)` is a template") }
            guard !containsID(policy.id) else { throw CedarParseError(.policySyntax, "the policy id `\(policy.id)` is already used") }
            try add(policy)
        }
    }
}
