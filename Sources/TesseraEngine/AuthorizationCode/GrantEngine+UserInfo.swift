public import TesseraProtocol
import TesseraStorage

extension GrantEngine {
    /// The UserInfo response (OpenID Connect Core §5.3): `sub` and, with the `profile` scope, the
    /// person's name. Only an active access token of ours with the `openid` scope answers: a bearer token
    /// presented as such (RFC 6750 §2.1), or a DPoP-bound one with a proof by its key (RFC 9449 §7.1).
    /// - Parameters:
    ///   - token: the access token.
    ///   - proof: the DPoP proof, when the token was presented with the `DPoP` scheme; `nil` for `Bearer`.
    /// - Returns: the claims about the token's subject.
    /// - Throws: ``OAuthError`` `invalid_token` (RFC 6750 §3.1), `insufficient_scope`, `invalid_dpop_proof` or
    ///   `use_dpop_nonce`; ``DPoPBoundTokenRefusal`` for a DPoP-bound token presented as a bearer token.
    public func userInfo(accessToken token: String, dpop proof: DPoPPresentation? = nil) async throws -> [String: JSONValue] {
        // OpenID Connect is an OAuth door: a GNAP token (whose references are not OIDC scopes) never answers here.
        guard let entry = try await ledger.entry(for: token), entry.active, entry.door == .oauth else {
            throw OAuthError(.invalidToken, "the access token is unknown, expired, revoked or not an OAuth access token")
        }
        switch (entry.binding, proof) {
        case (.bearer, nil):
            break
        case (.dpop(let jkt), let proof?):
            // §7.1: the proof's key must be the one the token is bound to (`cnf.jkt`), and the proof must name this token.
            let proven = try await dpop.keyProving(proof, accessToken: token)
            guard ConstantTime.equals(Array(proven.utf8), Array(jkt.utf8)) else {
                throw OAuthError(.invalidToken, "the DPoP proof is signed by another key than the one the access token is bound to")
            }
        case (.dpop, nil):
            // §7.2: a DPoP-bound token presented as a bearer token is refused (no downgrade), challenged with `DPoP`.
            throw DPoPBoundTokenRefusal(
                error: OAuthError(.invalidToken, "this access token is DPoP-bound: present it as Authorization: DPoP with a DPoP proof")
            )
        case (.bearer, _?), (.gnapKey, _):
            throw OAuthError(.invalidToken, "this access token is not DPoP-bound: present it as Authorization: Bearer")
        }
        let scope = Set(entry.scope.tokens)
        guard scope.contains("openid") else { throw OAuthError(.insufficientScope, "the access token lacks the openid scope") }
        var answer: [String: JSONValue] = ["sub": .string(entry.subject)]
        if scope.contains("profile"), let user = try await stores.people.user(username: entry.subject) {
            answer["preferred_username"] = .string(user.username)
            if let name = user.displayName { answer["name"] = .string(name) }
        }
        return answer
    }
}

/// The refusal of a DPoP-bound access token presented as a bearer token (RFC 9449 §7.2, no downgrade): an
/// `invalid_token` whose challenge names the `DPoP` scheme the token needs, with the accepted `algs` (§7.1), though
/// the request used `Bearer`.
public struct DPoPBoundTokenRefusal: Error, Sendable {
    /// The `invalid_token` error (RFC 6750 §3.1).
    public let error: OAuthError
}
