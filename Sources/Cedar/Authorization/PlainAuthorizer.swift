/// Cedar's authorization algorithm written out plainly (digest §7): every policy, its scope
/// checked against the store, its conditions evaluated as whole expressions by an evaluator that
/// reads every entity from the store. No index, no shared atoms, no cached request entities.
///
/// The oracle that the tests compare ``Authorizer`` against (same decision, same reasons, same
/// errors with the same codes and messages); not used on the request path.
enum PlainAuthorizer {
    static func isAuthorized(_ set: PolicySet, _ request: AuthorizationRequest, entities: EntityStore) -> AuthorizationResponse {
        let evaluator = Evaluator(request: request, entities: entities, cachingRequestEntities: false)
        var permits: Set<String> = []
        var forbids: Set<String> = []
        var errors: [PolicyEvaluationFailure] = []
        for policy in set.policies {
            guard matches(policy.principal, request.principal, entities), actionMatches(policy.action, request.action, entities),
                matches(policy.resource, request.resource, entities)
            else { continue }
            do throws(EvaluationError) {
                var holds = true
                for condition in policy.conditions where try evaluator.evaluateBool(condition.body) != condition.isWhen {
                    holds = false
                    break
                }
                guard holds else { continue }
                if policy.effect == .permit { permits.insert(policy.id) } else { forbids.insert(policy.id) }
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
