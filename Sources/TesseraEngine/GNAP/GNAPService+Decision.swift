import TesseraProtocol
import TesseraStorage

/// The GNAP door's grant decision, asked of the one ``DecisionPoint`` (docs/policy.md): the
/// grant request translated into door-neutral questions, the answer translated back into a grant
/// state or a `request_denied` refusal (RFC 9635 §3.6).
extension GNAPService {
    /// The client as the vocabulary sees it: a registered instance by its id and `allowed_access`,
    /// an unregistered key as `Client::"jkt:<thumbprint>"` with no rights of its own.
    /// - Parameters:
    ///   - instance: the registered instance, if any.
    ///   - thumbprint: the client key's thumbprint.
    /// - Returns: the party.
    static func party(instance: GNAPConfiguration.Instance?, thumbprint: String) -> AccessQuestion.Party {
        guard let instance else { return .init(id: "jkt:" + thumbprint, door: .gnap, registered: false, scopes: []) }
        return .init(id: instance.id, door: .gnap, registered: true, scopes: instance.allowedAccess)
    }

    /// Decides a grant request.
    ///
    /// 1. A request acting for the client itself (no `subject`, no `user`) asks `Action::"token"`:
    ///    every right permitted approves it at once (the default permits a registered instance's
    ///    `allowed_access`, as before).
    /// 2. Otherwise the request would wait for a resource owner: `Action::"approve"` is asked, and
    ///    a right no policy permits waits for the person as before.
    /// A right an owner's policy forbids (or a policy that cannot be evaluated) is refused in either
    /// step: no person is asked to approve what policy refuses.
    ///
    /// - Parameters:
    ///   - request: the grant request as it stands.
    ///   - party: the client (``party(instance:thumbprint:)``).
    /// - Returns: the grant's state and, when approved at once, its subject (the instance).
    /// - Throws: ``GNAPError`` `request_denied` naming the refused rights and the policies.
    func decide(
        _ request: GNAPGrantRequest,
        party: AccessQuestion.Party
    ) throws(GNAPError) -> (
        state: GNAPGrantRecord.State, subject: String?
    ) {
        guard var question = Self.question(request, party: party, operation: .token) else { return (.pending, nil) }
        if party.registered, request.subject == nil, request.user == nil {
            let decision = decisions.decide(question)
            if decision.isPermitted { return (.approved, party.id) }
            try Self.refuse(decision)
        }
        question.operation = .approve
        try Self.refuse(decisions.decide(question))
        return (.pending, nil)
    }

    /// The question a grant request asks: its rights and their `locations`.
    /// - Parameters:
    ///   - request: the grant request.
    ///   - party: the client.
    ///   - operation: `token` or `approve`.
    ///   - user: the person approving, at the consent page.
    /// - Returns: the question, or `nil` when the request asks for no access token.
    static func question(
        _ request: GNAPGrantRequest,
        party: AccessQuestion.Party,
        operation: AccessQuestion.Operation,
        user: String? = nil
    ) -> AccessQuestion? {
        guard let tokens = request.accessToken else { return nil }
        let access = tokens.requests.flatMap(\.access)
        return AccessQuestion(
            party: party,
            operation: operation,
            rights: access.map(\.typeOrReference),
            audiences: access.flatMap { right -> [String] in
                if case .object(let object) = right { return object.locations ?? [] }
                return []
            },
            user: user,
            door: .gnap,
            grantType: "gnap"
        )
    }

    private static func refuse(_ decision: AccessDecision) throws(GNAPError) {
        let refusals = decision.refusals
        guard refusals.isEmpty else {
            let refused = AccessDecision(rulings: refusals)
            throw GNAPError(.requestDenied, "refused by policy: \(refused.refusalDescription)")
        }
    }
}
