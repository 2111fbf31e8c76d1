public import TesseraProtocol
import TesseraStorage

extension GrantEngine {
    /// The UserInfo response (OpenID Connect Core §5.3): `sub` and, with the `profile` scope, the
    /// person's name. Only an active bearer access token of ours with the `openid` scope answers.
    /// - Throws: ``OAuthError`` `invalid_token` (RFC 6750 §3.1) or `insufficient_scope`.
    public func userInfo(accessToken token: String) async throws -> [String: JSONValue] {
        // OpenID Connect is an OAuth door: a GNAP token (whose references are not OIDC scopes) never answers here.
        guard let entry = try await ledger.entry(for: token), entry.active, entry.door == .oauth else {
            throw OAuthError(.invalidToken, "the access token is unknown, expired, revoked or not an OAuth access token")
        }
        guard entry.binding == .bearer else {
            throw OAuthError(
                .invalidToken,
                "this access token is sender-constrained (DPoP); the UserInfo endpoint accepts bearer tokens only"
            )
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
