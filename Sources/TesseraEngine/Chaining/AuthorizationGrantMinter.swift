import Foundation
import TesseraProtocol
import TesseraStorage

/// Mints JWT authorization grants for a peer AS (draft-ietf-oauth-identity-chaining §2.3.3):
/// `aud` = that single AS, a short lifetime, a `jti`, the transcribed subject and claims,
/// `client_id`, `scope`, `act` where delegated, and `requested_cnf` when the client proved a key
/// (the seed's "AS acting as client" appendix). The grant is recorded before it is returned.
struct AuthorizationGrantMinter: Sendable {
    /// The JOSE `typ` of our grants: a plain JWT, so a peer can tell it from an access token (`at+jwt`).
    static let type = "JWT"

    let issuer: String
    let keyRing: KeyRing
    let tokens: any TokenStore
    let lifetime: TimeInterval
    let now: @Sendable () -> Date

    struct Request {
        var peer: TrustConfiguration.Peer
        var subject: PresentedToken
        var client: AuthenticatedClient
        var scope: Scope
        var actor: ActorClaim?
        var confirmation: Confirmation?
        /// The `client_id` the grant names: the client that will redeem it at the peer (RFC 7523 §3,
        /// identity chaining §2.3.3) — our client, or this AS itself when it redeems (Appendix B.2).
        var redeemingClientID: String
    }

    func mint(_ request: Request) async throws -> TokenResponse {
        guard let subject = request.peer.outbound.subject(of: request.subject.claims) else {
            throw OAuthError.invalidRequest("the subject cannot be mapped to an identity in peer '\(request.peer.name)'")
        }
        let issuedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let expiresAt = issuedAt.addingTimeInterval(lifetime)
        let jti = TokenIssuer.sortableIdentifier()
        var claims = request.peer.outbound.transcribedClaims(of: request.subject.claims)
        claims["iss"] = .string(issuer)
        claims["sub"] = .string(subject)
        claims["aud"] = .string(request.peer.issuer)
        claims["iat"] = .number(issuedAt.timeIntervalSince1970)
        claims["exp"] = .number(expiresAt.timeIntervalSince1970)
        claims["jti"] = .string(jti)
        claims["client_id"] = .string(request.redeemingClientID)
        if !request.scope.isEmpty { claims["scope"] = .string(request.scope.description) }
        if let actor = request.actor { claims["act"] = JWTClaimSet.jsonValue(actor) }
        if let jkt = request.confirmation?.jkt { claims["requested_cnf"] = .object(["jkt": .string(jkt)]) }
        let grant = try await keyRing.signer().sign(claims, type: Self.type)
        try await tokens.record(
            TokenIssuance(
                accessToken: AccessTokenRecord(
                    jti: jti,
                    grantID: "chaining:" + jti,
                    clientID: request.client.id,
                    subject: request.subject.subject,
                    scope: request.scope.description,
                    audience: [request.peer.issuer],
                    issuedAt: issuedAt,
                    expiresAt: expiresAt,
                    parent: DerivedTokenRules.parent(request.subject)
                ),
                refreshToken: nil
            )
        )
        return TokenResponse(
            accessToken: grant,
            tokenType: "N_A",
            expiresIn: Int(lifetime),
            scope: request.scope.isEmpty ? nil : request.scope.description,
            issuedTokenType: TokenTypeIdentifier.jwt
        )
    }
}
