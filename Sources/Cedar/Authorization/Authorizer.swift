/// Decides requests against a policy set with Cedar's algorithm (digest §7): forbid overrides
/// permit, default deny, and a policy that errors is skipped and reported.
///
/// Building an authorizer compiles the policies once (constant folding) and indexes them by
/// scope, so a request evaluates only policies whose principal, action and resource constraints
/// can match it.
///
/// ```swift
/// let authorizer = Authorizer(policies: try PolicySet(parsing: text))
/// let response = authorizer.isAuthorized(request, entities: store)
/// if response.decision == .allow { … }
/// ```
public struct Authorizer: Sendable {
    struct CompiledPolicy: Sendable {
        var id: String
        var isPermit: Bool
        var principal: ScopeConstraint
        var action: ActionConstraint
        var resource: ScopeConstraint
        var conditions: [Condition]
    }

    private let compiled: [CompiledPolicy]
    private let principalIndex: ScopeIndex
    private let actionIndex: ScopeIndex
    private let resourceIndex: ScopeIndex

    /// Compiles and indexes the set's static and linked policies (unlinked templates are ignored).
    public init(policies set: PolicySet) {
        let policies = set.policies
        compiled = policies.map {
            CompiledPolicy(
                id: $0.id,
                isPermit: $0.effect == .permit,
                principal: $0.principal,
                action: $0.action,
                resource: $0.resource,
                conditions: $0.conditions.map { Condition(isWhen: $0.isWhen, body: Compiler.fold($0.body)) }
            )
        }
        var p = ScopeIndex(count: compiled.count)
        var a = ScopeIndex(count: compiled.count)
        var r = ScopeIndex(count: compiled.count)
        for (i, c) in compiled.enumerated() {
            Self.index(i, c.principal, into: &p)
            Self.index(i, c.resource, into: &r)
            switch c.action {
            case .any: a.addUnconstrained(i)
            case .equals(let e), .in(let e): a.add(i, entity: e)
            case .inSet(let list): for e in list { a.add(i, entity: e) }
            }
        }
        principalIndex = p
        actionIndex = a
        resourceIndex = r
    }

    private static func index(_ i: Int, _ c: ScopeConstraint, into index: inout ScopeIndex) {
        switch c {
        case .any: index.addUnconstrained(i)
        case .equals(.entity(let e)), .in(.entity(let e)), .isIn(_, .entity(let e)): index.add(i, entity: e)
        case .is(let t): index.add(i, type: t)
        case .equals(.slot), .in(.slot), .isIn(_, .slot): index.addUnconstrained(i)
        }
    }

    /// Authorizes one request.
    ///
    /// - Parameters:
    ///   - request: principal, action, resource and context.
    ///   - entities: the entity store the policies read.
    /// - Returns: the decision, the determining policy ids and the policies that errored.
    public func isAuthorized(_ request: AuthorizationRequest, entities: EntityStore) -> AuthorizationResponse {
        var candidates = principalIndex.candidates(for: request.principal, in: entities)
        candidates.formIntersection(actionIndex.candidates(for: request.action, in: entities))
        candidates.formIntersection(resourceIndex.candidates(for: request.resource, in: entities))
        let evaluator = Evaluator(request: request, entities: entities)
        var permits: Set<String> = []
        var forbids: Set<String> = []
        var errors: [PolicyEvaluationFailure] = []
        for i in candidates {
            let policy = compiled[i]
            guard Self.scopeMatches(policy, request, entities) else { continue }
            do throws(EvaluationError) {
                guard try Self.conditionsHold(policy, evaluator) else { continue }
                if policy.isPermit { permits.insert(policy.id) } else { forbids.insert(policy.id) }
            } catch {
                errors.append(PolicyEvaluationFailure(policyID: policy.id, error: error))
            }
        }
        errors.sort { $0.policyID < $1.policyID }
        if forbids.isEmpty, !permits.isEmpty {
            return AuthorizationResponse(decision: .allow, diagnostics: .init(reasons: permits, errors: errors))
        }
        return AuthorizationResponse(decision: .deny, diagnostics: .init(reasons: forbids, errors: errors))
    }

    /// `c1 && c2 && …` left to right, short-circuiting; `unless` bodies are negated.
    private static func conditionsHold(_ policy: CompiledPolicy, _ evaluator: Evaluator) throws(EvaluationError) -> Bool {
        for condition in policy.conditions {
            guard try evaluator.evaluateBool(condition.body) == condition.isWhen else { return false }
        }
        return true
    }

    private static func scopeMatches(_ p: CompiledPolicy, _ r: AuthorizationRequest, _ store: EntityStore) -> Bool {
        matches(p.principal, r.principal, store) && actionMatches(p.action, r.action, store) && matches(p.resource, r.resource, store)
    }

    private static func matches(_ c: ScopeConstraint, _ uid: EntityUID, _ store: EntityStore) -> Bool {
        switch c {
        case .any: true
        case .equals(.entity(let e)): uid == e
        case .in(.entity(let e)): store.isDescendant(uid, of: e)
        case .is(let t): uid.type == t
        case .isIn(let t, .entity(let e)): uid.type == t && store.isDescendant(uid, of: e)
        case .equals(.slot), .in(.slot), .isIn(_, .slot): false
        }
    }

    private static func actionMatches(_ c: ActionConstraint, _ uid: EntityUID, _ store: EntityStore) -> Bool {
        switch c {
        case .any: true
        case .equals(let e): uid == e
        case .in(let e): store.isDescendant(uid, of: e)
        case .inSet(let list): list.contains { store.isDescendant(uid, of: $0) }
        }
    }
}
