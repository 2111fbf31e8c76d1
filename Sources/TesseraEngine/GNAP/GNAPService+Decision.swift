import TesseraProtocol
import TesseraStorage

/// The GNAP door's grant decision, asked of the one ``DecisionPoint`` (docs/policy.md): the
/// grant request translated into door-neutral questions, the answer translated back into a grant
/// state or a `request_denied` refusal (RFC 9635 §3.6).
extension GNAPService {
    /// The client as the engine sees it: a registered instance by its id and `allowed_access`, an
    /// unregistered key as `Client::"jkt:<thumbprint>"` with no rights of its own.
    /// - Parameters:
    ///   - instance: the registered instance, if any.
    ///   - thumbprint: the client key's thumbprint.
    /// - Returns: the client.
    static func identity(instance: GNAPConfiguration.Instance?, thumbprint: String) -> ClientIdentity {
        ClientIdentity(.gnap(instanceID: instance?.id, allowedAccess: instance?.allowedAccess ?? [], thumbprint: thumbprint))
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
    ///   - client: the client (``identity(instance:thumbprint:)``).
    /// - Returns: the grant's state and, when approved at once, its subject (the instance).
    /// - Throws: ``GNAPError`` `request_denied` naming the refused rights and the policies.
    func decide(
        _ request: GNAPGrantRequest,
        client: ClientIdentity
    ) throws(GNAPError) -> (
        state: GNAPGrantRecord.State, subject: String?
    ) {
        guard request.accessToken != nil else { return (.pending, nil) }
        let asked = AccessRequest(gnap: request)
        let party = client.party
        var question = asked.question(.token, by: client)
        if party.registered, asked.subject == .client {
            let decision = decisions.decide(question)
            if decision.isPermitted { return (.approved, party.id) }
            try Self.refuse(decision)
        }
        question.operation = .approve
        try Self.refuse(decisions.decide(question))
        return (.pending, nil)
    }

    private static func refuse(_ decision: AccessDecision) throws(GNAPError) {
        let refusals = decision.refusals
        guard refusals.isEmpty else {
            let refused = AccessDecision(rulings: refusals)
            throw Refusal(.rightsRefused, "refused by policy: \(refused.refusalDescription)").gnap
        }
    }
}
