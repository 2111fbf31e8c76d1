import Foundation
import TesseraProtocol
import TesseraStorage

extension AuthorizationCodeGrant {
    /// The rights the code was approved for (its scope, resources and `authorization_details`), read without
    /// redeeming it: a challenge raised on them leaves the code usable for the retry with evidence, and the
    /// retry (or any other redemption) still spends it exactly once (RFC 6749 §4.1.2). A code that the
    /// redemption will refuse (unknown, spent, another client's, wrong `redirect_uri` or `code_verifier`)
    /// carries nothing: the grant refuses it and spends it as before.
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    ///   - context: the grant context.
    /// - Returns: the code's approved rights, or ``ChallengedRights/nothing``.
    /// - Throws: store failures.
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> ChallengedRights {
        guard case .authorizationCode(let code, let redirectURI, let verifier) = request.evidence, code.utf8.count <= 128,
            let record = try await store.code(hash: TokenIssuer.hashToken(code), at: context.now()),
            let approved = try? Self.approval(record, presented: (redirectURI, verifier), client)
        else { return .nothing }
        return ChallengedRights(
            scope: approved.scope,
            // The token's audience: the resources and the approved entries' locations (review round 11, J1).
            resources: ResourceCheck.unique(approved.request.resources + ResourceCheck.locations(of: approved.authorizationDetails)),
            authorizationDetails: approved.authorizationDetails
        )
    }
}
