import TesseraProtocol
import TesseraStorage

/// The OAuth door's scope decision (RFC 6749 §3.3): the `scope` parameter translated into an
/// ``AccessQuestion`` for the one ``DecisionPoint``, and its answer translated back into a granted
/// scope or an `invalid_scope` refusal. The decision itself is Cedar (docs/policy.md).
struct ScopeCheck: Sendable {
    let decisions: DecisionPoint

    /// The ceiling a derived token may not exceed (its parent's scope), checked before policy is asked:
    /// a refresh, an exchange or a code redemption never carries more than its parent (RFC 9700 §4.8).
    struct Ceiling: Sendable {
        let scope: Scope
        /// The start of the refusal's description, followed by the scope tokens beyond the ceiling.
        let refusal: String
    }

    /// - Parameters:
    ///   - requested: the simple rights asked for (`scope`, parsed at the door), or `nil` when none were named.
    ///   - offered: what is granted when no scope is requested (the client's registered scope, or
    ///     the parent's); the rights policy refuses are left out of it (RFC 6749 §3.3 lets the AS
    ///     issue less than asked, and the response then names the scope).
    ///   - ceiling: the parent's scope, for a derived token.
    ///   - question: who asks and for which operation; its rights are filled in here.
    /// - Returns: the requested scope, or what policy permits of the offered scope when none was requested.
    /// - Throws: ``OAuthError`` `invalid_scope` naming the scope tokens refused and, for a
    ///   `forbid`, the policy that refused them.
    func grantedScope(
        requested: Scope?,
        offered: Scope,
        ceiling: Ceiling? = nil,
        question: AccessQuestion
    ) throws(OAuthError) -> Scope {
        var question = question
        guard let requested else {
            question.rights = offered.tokens
            return Scope(try Self.targetsAllowed(decisions.decide(question)).permitted)
        }
        let scope = requested
        if let ceiling {
            let extra = scope.subtracting(ceiling.scope)
            guard extra.isEmpty else { throw OAuthError.invalidScope(ceiling.refusal + extra.description) }
        }
        question.rights = scope.tokens
        let decision = try Self.targetsAllowed(decisions.decide(question))
        guard decision.isPermitted else {
            // No policy permits: the shipped defaults' case, said as before. A forbid or a
            // failing policy: the owner's rule, named so the operator can find it.
            guard decision.refusals.isEmpty else { throw OAuthError.invalidScope(decision.refusalDescription) }
            throw OAuthError.invalidScope("scope not allowed for this client: \(Scope(decision.denials.map(\.right)).description)")
        }
        return scope
    }

    /// Refuses rich authorization details (RFC 9396 §2) whose `type` an owner's policy forbids. The GNAP door
    /// asks the decision point about each access right's type; this asks the same of each entry's, so a
    /// `forbid … resource == Scope::"<type>"` holds at both doors. Forbid-only: the shipped defaults do not
    /// list RAR types as registered scopes, and the types' own checks (``AuthorizationDetailsProcessor``) stay.
    /// - Parameters:
    ///   - details: the entries to be granted, if any.
    ///   - question: the request's question (operation, client, person, audiences).
    /// - Throws: ``OAuthError`` `invalid_authorization_details` (RFC 9396 §5) naming the policies.
    func refuseForbiddenTypes(of details: [JSONValue]?, question: AccessQuestion) throws(OAuthError) {
        var question = question
        question.rights = Self.types(of: details)
        guard !question.rights.isEmpty else { return }
        let refusals = decisions.decide(question).refusals
        guard refusals.isEmpty else { throw OAuthError.invalidAuthorizationDetails(AccessDecision(rulings: refusals).refusalDescription) }
    }

    /// Refuses rich authorization details (RFC 9396 §2) whose `type` policy forbids **or does not permit**: the
    /// scope rule of ``grantedScope(requested:offered:ceiling:question:)`` applied to types, for an operation whose
    /// scopes need a permit of their own (an ID-JAG: `chaining.peers[].id_jag.scopes` lists what it may carry).
    /// - Parameters:
    ///   - details: the entries to be granted, if any.
    ///   - question: the request's question (operation, client, person, audiences).
    ///   - unpermitted: the refusal's description for the first type no policy permits.
    /// - Throws: ``OAuthError`` `invalid_authorization_details` (RFC 9396 §5) naming the policies or the type.
    func requirePermittedTypes(
        of details: [JSONValue]?,
        question: AccessQuestion,
        unpermitted: (String) -> String
    ) throws(OAuthError) {
        var question = question
        question.rights = Self.types(of: details)
        guard !question.rights.isEmpty else { return }
        let decision = decisions.decide(question)
        guard decision.refusals.isEmpty else {
            throw OAuthError.invalidAuthorizationDetails(AccessDecision(rulings: decision.refusals).refusalDescription)
        }
        if let type = decision.denials.first(where: { $0.kind == .right })?.right {
            throw OAuthError.invalidAuthorizationDetails(unpermitted(type))
        }
    }

    /// The `type` of each entry, as the vocabulary names it (`Scope::"<type>"`).
    private static func types(of details: [JSONValue]?) -> [String] {
        (details ?? []).compactMap { entry in
            guard case .object(let object) = entry, case .string(let type)? = object["type"] else { return nil }
            return type
        }
    }

    /// Refuses a request whose audiences policy does not allow (`Resource::"…"`), whatever its scope.
    /// - Parameter decision: the decision point's answer.
    /// - Returns: `decision`, when every audience is permitted.
    /// - Throws: ``OAuthError`` `invalid_target` (RFC 8707 §2; RFC 8693 §2.2.2) naming the policies.
    static func targetsAllowed(_ decision: AccessDecision) throws(OAuthError) -> AccessDecision {
        let refused = decision.refusedAudiences
        guard refused.isEmpty else { throw OAuthError.invalidTarget(AccessDecision(rulings: refused).refusalDescription) }
        return decision
    }
}

extension AccessQuestion.Party {
    /// An OAuth client as the vocabulary sees it: registered, with its registered scope.
    /// - Parameter client: the client's record.
    init(oauth client: ClientRecord) {
        self.init(
            id: client.id,
            door: .oauth,
            registered: true,
            scopes: Set(client.scopes),
            introspectionAudiences: Set(client.introspectionAudiences)
        )
    }
}
