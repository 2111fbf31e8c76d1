import TesseraProtocol

/// Scope narrowing (RFC 6749 §3.3): the granted scope is what was asked for, within what the client may have.
struct ScopeCheck: Sendable {
    /// - Parameters:
    ///   - requested: the `scope` parameter, or `nil` when absent.
    ///   - allowed: the scope the client (or grant) is entitled to.
    /// - Returns: the requested scope, or the whole allowed scope when none was requested.
    /// - Throws: ``OAuthError`` `invalid_scope` naming the scope tokens that are not allowed.
    func grantedScope(requested: String?, allowed: Scope) throws(OAuthError) -> Scope {
        guard let requested else { return allowed }
        let scope = try Scope(parsing: requested)
        let extra = scope.subtracting(allowed)
        guard extra.isEmpty else {
            throw OAuthError.invalidScope("scope not allowed for this client: \(extra.description)")
        }
        return scope
    }
}
