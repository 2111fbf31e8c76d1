public import TesseraProtocol
import TesseraStorage

extension GrantEngine {
    /// The UserInfo response (OpenID Connect Core §5.3): `sub` and, with the `profile` scope, the
    /// person's name. Only an active bearer access token of ours with the `openid` scope answers.
    /// - Throws: ``OAuthError`` `invalid_token` (RFC 6750 §3.1) or `insufficient_scope`.
    public func userInfo(accessToken token: String) async throws -> [String: JSONValue] {
        guard let (record, claims) = try await accessToken(token), record.isActive(at: now()) else {
            throw OAuthError(.invalidToken, "the access token is unknown, expired or revoked")
        }
        guard claims.cnf == nil else {
            throw OAuthError(.invalidToken, "this access token is sender-constrained (DPoP); the UserInfo endpoint accepts bearer tokens only")
        }
        let scope = Set(record.scope.split(separator: " ").map(String.init))
        guard scope.contains("openid") else { throw OAuthError(.insufficientScope, "the access token lacks the openid scope") }
        var answer: [String: JSONValue] = ["sub": .string(record.subject)]
        if scope.contains("profile"), let user = try await stores.people.user(username: record.subject) {
            answer["preferred_username"] = .string(user.username)
            if let name = user.displayName { answer["name"] = .string(name) }
        }
        return answer
    }
}
