public import Cedar
import Foundation

/// `client_challenges.policy`: the AS's Cedar policies over token requests in their own words
/// (kept so existing files keep working; new rules go in the one policy set as
/// `Action::"challenge"`, docs/policy.md), with a third answer besides permit and deny:
/// a `forbid` policy annotated `@challenge("<requirement type>")` asks the client for that evidence
/// instead of refusing (draft-kahrer-oauth-client-challenge-protocol-00 §4, "MFA for clients").
///
/// The set starts from `permit(principal, action, resource);` — the file holds the rules that
/// stop or challenge a request. A request is evaluated as principal `Client::"<client_id>"`,
/// action `Action::"token"`, resource `AuthorizationServer::"<issuer>"` with the context described
/// in docs/client-challenge.md. Once the client has supplied valid evidence of a type, the forbid
/// policies annotated with that type no longer count.
public struct ClientChallengePolicy: Sendable {
    /// What the policies say about one request.
    public enum Verdict: Sendable, Hashable {
        case permit
        /// Refused outright: policy ids (and their `@reason` annotations, if any) that decided.
        case deny(String)
        /// Evidence of this requirement type would let the request through.
        case challenge(type: String)

        /// The one decision point's `Action::"challenge"` ruling as a verdict: a forbid annotated
        /// `@challenge("<type>")` asks for that evidence unless already proven; any other refuses.
        /// - Parameters:
        ///   - ruling: the ruling.
        ///   - forbids: the `@challenge` and `@reason` annotations of the forbids that decided it.
        ///   - satisfied: the requirement types already proven.
        /// - Returns: the verdict.
        static func verdict(
            _ ruling: AccessDecision.Ruling,
            forbids: [(challenge: String?, reason: String?)],
            satisfied: Set<String>
        ) -> Verdict {
            switch ruling.verdict {
            case .permitted: return .permit
            case .notPermitted: return .deny("no policy permits this request")
            case .failed: return .deny(ruling.errors.joined(separator: "; "))
            case .forbidden:
                var outstanding: [String] = []
                for (policy, forbid) in zip(ruling.policies, forbids) {
                    guard let type = forbid.challenge else { return .deny(forbid.reason ?? "refused by policy \(policy)") }
                    if !satisfied.contains(type) { outstanding.append(type) }
                }
                return outstanding.first.map { .challenge(type: $0) } ?? .permit
            }
        }

        /// Two verdicts on one request: a refusal wins, then a challenge, then a permit.
        /// - Parameter other: the other verdict.
        /// - Returns: the stricter one.
        func combined(with other: Verdict) -> Verdict {
            switch (self, other) {
            case (.deny, _), (.challenge, .permit): return self
            default: return other
            }
        }
    }

    static let defaultPermit = "permit(principal, action, resource);"
    let authorizer: Authorizer
    let policies: [String: Policy]

    /// - Throws: ``CedarParseError`` with line and column when the text is not Cedar.
    public init(text: String, filename: String? = nil) throws(CedarParseError) {
        let set = try PolicySet(parsing: Self.defaultPermit + "\n" + text, filename: filename)
        self.authorizer = Authorizer(policies: set)
        self.policies = Dictionary(set.policies.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Decides a request; `satisfied` lists the requirement types already proven for it.
    public func evaluate(clientID: String, issuer: String, context: [CedarString: CedarValue], satisfied: Set<String>) -> Verdict {
        let request = AuthorizationRequest(
            principal: EntityUID("Client", clientID),
            action: EntityUID("Action", "token"),
            resource: EntityUID("AuthorizationServer", issuer),
            context: context
        )
        let response = authorizer.isAuthorized(request, entities: EntityStore())
        // Cedar skips a policy that errors; for a forbid that would fail open, so refuse instead.
        for failure in response.diagnostics.errors where policies[failure.policyID]?.effect == .forbid {
            return .deny("policy \(failure.policyID) could not be evaluated: \(failure.error)")
        }
        if response.decision == .allow { return .permit }
        let deciding = response.diagnostics.reasons.sorted().compactMap { policies[$0] }
        guard !deciding.isEmpty else { return .deny("no policy permits this request") }
        var outstanding: [String] = []
        for policy in deciding {
            guard let type = policy.annotation("challenge") else {
                return .deny(policy.annotation("reason") ?? "refused by policy \(policy.id)")
            }
            if !satisfied.contains(type) { outstanding.append(type) }
        }
        if let type = outstanding.first { return .challenge(type: type) }
        return .permit
    }
}
