/// The verdicts of client challenges (draft-kahrer-oauth-client-challenge-protocol-00 §4, "MFA for
/// clients"): besides permit and deny, a `forbid` annotated `@challenge("<requirement type>")` asks
/// the client for that evidence instead of refusing. The one decision point decides
/// (`Action::"challenge"`); `client_challenges.policy` is translated into it (``PolicyTranslation``).
public enum ClientChallengePolicy {
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
    }
}
