public import Foundation

extension GrantEngine {
    /// The person's decision on a held OAuth authorization request (RFC 6749 §4.1.2), made by
    /// ``AuthorizationCodeService/decide(id:username:approve:approvedScope:approvedDetails:authTime:)``.
    ///
    /// A denial also withdraws the person's remembered consents that would have answered this request without asking.
    /// Only `prompt=consent` shows the page under such a consent (OpenID Connect Core §3.1.2.1: the server prompts "for
    /// consent before returning information to the Client"), and the decision is hers (§3.1.2.4): asked again, she said
    /// no, so the consent no longer stands. Each one goes through the one revocation entry, ``revoke(_:by:)`` with
    /// ``Revocation/consent(id:)``, as on the account page, so the tokens issued under it are revoked too (ninth
    /// review). Denying a request that no consent covers (it asks for more) withdraws nothing: she was not asked about
    /// the narrower consent.
    /// - Parameters:
    ///   - id: the pending authorization request.
    ///   - username: the signed-in person deciding.
    ///   - approve: `false` denies.
    ///   - approvedScope: the scope tokens left ticked; `nil` approves all that was asked.
    ///   - approvedDetails: the indexes of the `authorization_details` entries left ticked; `nil` approves all.
    ///   - authTime: when the person signed in.
    /// - Returns: The redirect URI the browser is sent to.
    /// - Throws: ``AuthorizationCodeService/Problem`` as the service's decision; store failures.
    public func decideAuthorization(
        id: String,
        username: String,
        approve: Bool,
        approvedScope: Set<String>?,
        approvedDetails: Set<Int>?,
        authTime: Date
    ) async throws -> String {
        // Read before the decision spends the held request.
        let denied = approve ? nil : try await authorization.pending(id: id)
        let location = try await authorization.decide(
            id: id,
            username: username,
            approve: approve,
            approvedScope: approvedScope,
            approvedDetails: approvedDetails,
            authTime: authTime
        )
        if let denied {
            for consent in try await authorization.consents(covering: denied.request, of: username) {
                _ = try await revoke(.consent(id: consent), by: .person(username))
            }
        }
        return location
    }
}
