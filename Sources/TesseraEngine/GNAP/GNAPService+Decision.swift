import TesseraProtocol
import TesseraStorage

/// The GNAP door's grant decision, asked of the one ``DecisionPoint`` (docs/policy.md): the
/// grant request as an ``AccessRequest``, the answer a grant state or a refusal (RFC 9635 §3.6).
extension GNAPService {
    /// What the decision point says of a grant request.
    enum Verdict {
        /// Approved at once, for this subject (the instance acting for itself).
        case approved(subject: String)
        /// A person must decide.
        case pending
        /// Refused by policy.
        case refused(Refusal)
    }

    /// The client as the engine sees it: a registered instance by its id and `allowed_access`, an
    /// unregistered key as `Client::"jkt:<thumbprint>"` with no rights of its own.
    /// - Parameters:
    ///   - instance: the registered instance, if any.
    ///   - thumbprint: the client key's thumbprint.
    ///   - proof: the key's proof method, when the key was proven with this request (RFC 9635 §7.3).
    /// - Returns: the client.
    static func identity(instance: GNAPConfiguration.Instance?, thumbprint: String, proof: String? = nil) -> ClientIdentity {
        ClientIdentity(
            .gnap(instanceID: instance?.id, allowedAccess: instance?.allowedAccess ?? [], thumbprint: thumbprint),
            provenKey: proof.map { ProvenKey(gnapProof: $0, thumbprint: thumbprint) }
        )
    }

    /// Decides a grant request.
    ///
    /// 1. A request acting for the client itself (no `subject`, no `user`) asks `Action::"token"`:
    ///    every right permitted approves it at once (the default permits a registered instance's
    ///    `allowed_access`, as before).
    /// 2. Otherwise the request would wait for a resource owner: `Action::"approve"` is asked, and
    ///    a right no policy permits waits for the person as before.
    /// A right an owner's policy forbids (or a policy that cannot be evaluated) is refused in either
    /// step: no person is asked to approve what policy refuses. A request for subject information
    /// only always waits for a person.
    ///
    /// - Parameters:
    ///   - asked: the grant request as it stands.
    ///   - client: the client (``identity(instance:thumbprint:proof:)``).
    /// - Returns: the verdict; a refusal names the refused rights and the policies.
    func decide(_ asked: AccessRequest, client: ClientIdentity) -> Verdict {
        guard !asked.rights.access.isEmpty else { return .pending }
        let party = client.party
        var question = asked.question(.token, by: client)
        if party.registered, asked.subject == .client {
            let decision = decisions.decide(question)
            if decision.isPermitted { return .approved(subject: party.id) }
            if let refusal = Self.refusal(decision) { return .refused(refusal) }
        }
        question.operation = .approve
        return Self.refusal(decisions.decide(question)).map(Verdict.refused) ?? .pending
    }

    /// Decides an approved grant again before its tokens are minted (RFC 9635 §5) or rotated (§6.1): as a new
    /// request (``decide(_:client:)``), and, when a person approved it, as the consent page asked that person
    /// (`Action::"approve"` with the person as `user`). A policy written since the approval, aimed at
    /// the rights or at the approving person, refuses the tokens. A grant the client was approved for itself must
    /// still be approved the same way, `Action::"token"` with its current registration (`allowed_access`): that it
    /// would now wait for a person is a refusal too, for there is nobody whose approval it stands on (review round
    /// 11, J6: narrowing `allowed_access` did not reach approved grants). The rights' rich authorization types are
    /// checked first, as configured now (``typeRefusal(_:client:)``, round 13, L9).
    ///
    /// - Parameters:
    ///   - asked: the grant request as it stands.
    ///   - client: the client (``identity(instance:thumbprint:proof:)``).
    ///   - person: who approved, `nil` when the client was approved for itself.
    /// - Returns: the refusal (`request_denied`), or `nil` when the approval still holds.
    func redecide(_ asked: AccessRequest, client: ClientIdentity, approvedBy person: String?) -> Refusal? {
        if let refusal = typeRefusal(asked.rights.access, client: client) { return refusal }
        switch decide(asked, client: client) {
        case .refused(let refusal): return refusal
        case .pending where person == nil:
            return Refusal(.rightsRefused, "the client's own policy (allowed_access) no longer permits this grant's rights")
        default: break
        }
        guard let person, !asked.rights.access.isEmpty else { return nil }
        return Self.refusal(decisions.decide(asked.question(.approve, by: client, user: person)))
    }

    static func refusal(_ decision: AccessDecision) -> Refusal? {
        let refusals = decision.refusals
        guard !refusals.isEmpty else { return nil }
        return Refusal(.rightsRefused, "refused by policy: \(AccessDecision(rulings: refusals).refusalDescription)")
    }
}
