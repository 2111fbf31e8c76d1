/// Decides requests against a policy set with Cedar's algorithm (digest §7): forbid overrides
/// permit, default deny, and a policy that errors is skipped and reported.
///
/// Building an authorizer compiles the policies once (constant folding) and indexes them by
/// scope, so a request evaluates only policies whose principal, action and resource constraints
/// match it (the index is exact: no scope constraint is evaluated per policy). Conditions are
/// split into atoms shared across the set (``ConditionAtoms``), so a request evaluates each
/// distinct atom at most once, and the evaluator reads the request's principal and resource
/// (attributes, ancestors, tags) from the store once per request.
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
        var tests: [AtomTest]
    }

    private let compiled: [CompiledPolicy]
    private let atoms: ConditionAtoms
    private let principalIndex: ScopeIndex
    private let actionIndex: ScopeIndex
    private let resourceIndex: ScopeIndex

    /// Compiles and indexes the set's static and linked policies (unlinked templates are ignored).
    public init(policies set: PolicySet) {
        let policies = set.policies
        var table = ConditionAtoms()
        var compiled: [CompiledPolicy] = []
        compiled.reserveCapacity(policies.count)
        var p = ScopeIndex(count: policies.count)
        var a = ScopeIndex(count: policies.count)
        var r = ScopeIndex(count: policies.count)
        for (i, policy) in policies.enumerated() {
            let folded = policy.conditions.map { Condition(isWhen: $0.isWhen, body: Compiler.fold($0.body)) }
            compiled.append(CompiledPolicy(id: policy.id, isPermit: policy.effect == .permit, tests: table.tests(for: folded)))
            Self.index(i, policy.principal, into: &p)
            Self.index(i, policy.resource, into: &r)
            switch policy.action {
            case .any: a.addUnconstrained(i)
            case .equals(let e): a.add(i, equal: e)
            case .in(let e): a.add(i, in: e)
            case .inSet(let list): for e in list { a.add(i, in: e) }
            }
        }
        self.compiled = compiled
        atoms = table
        principalIndex = p
        actionIndex = a
        resourceIndex = r
    }

    /// Indexes one scope constraint. A constraint on an unlinked slot matches nothing (it is in no
    /// bucket), as it never holds.
    private static func index(_ i: Int, _ c: ScopeConstraint, into index: inout ScopeIndex) {
        switch c {
        case .any: index.addUnconstrained(i)
        case .equals(.entity(let e)): index.add(i, equal: e)
        case .in(.entity(let e)): index.add(i, in: e)
        case .is(let t): index.add(i, type: t)
        case .isIn(let t, .entity(let e)): index.add(i, type: t, in: e)
        case .equals(.slot), .in(.slot), .isIn(_, .slot): break
        }
    }

    /// Authorizes one request.
    ///
    /// - Parameters:
    ///   - request: principal, action, resource and context.
    ///   - entities: the entity store the policies read.
    /// - Returns: the decision, the determining policy ids and the policies that errored.
    public func isAuthorized(_ request: AuthorizationRequest, entities: EntityStore) -> AuthorizationResponse {
        let evaluator = Evaluator(request: request, entities: entities)
        var candidates = principalIndex.candidates(for: request.principal, ancestors: evaluator.principalSlot.map(entities.ancestors(at:)))
        candidates.formIntersection(actionIndex.candidates(for: request.action, ancestors: entities.ancestors(of: request.action)))
        candidates.formIntersection(
            resourceIndex.candidates(for: request.resource, ancestors: evaluator.resourceSlot.map(entities.ancestors(at:)))
        )
        var memo = AtomMemo(atoms: atoms.atoms.count, operands: atoms.operands.count)
        var permits: [Int] = []
        var forbids: [Int] = []
        var errors: [PolicyEvaluationFailure] = []
        for i in candidates {
            let policy = compiled[i]
            do throws(EvaluationError) {
                guard try memo.holds(policy.tests, atoms, evaluator) else { continue }
                if policy.isPermit { permits.append(i) } else { forbids.append(i) }
            } catch {
                errors.append(PolicyEvaluationFailure(policyID: policy.id, error: error))
            }
        }
        if errors.count > 1 { errors.sort { $0.policyID < $1.policyID } }
        if forbids.isEmpty, !permits.isEmpty {
            return AuthorizationResponse(decision: .allow, diagnostics: .init(reasons: ids(permits), errors: errors))
        }
        return AuthorizationResponse(decision: .deny, diagnostics: .init(reasons: ids(forbids), errors: errors))
    }

    private func ids(_ indices: [Int]) -> Set<String> {
        var out = Set<String>(minimumCapacity: indices.count)
        for i in indices { out.insert(compiled[i].id) }
        return out
    }
}
