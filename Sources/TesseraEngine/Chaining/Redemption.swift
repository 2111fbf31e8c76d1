import Foundation
import TesseraProtocol
import TesseraStorage

/// A JWT authorization grant or an ID-JAG checked and decided, not yet issued (RFC 7523 §3): the token to mint and
/// the single-use `jti` its record spends. Resolving one spends nothing, so the client-challenge policy judges what
/// it will issue and a challenge leaves the assertion usable for the retry (review round 10, H2).
struct Redemption: Sendable {
    /// What the token will carry.
    var grant: TokenIssuer.Grant
    /// The assertion's `jti`, spent in the commit that records the token.
    var spend: SingleUseSpend
    /// The refusal when that `jti` was already spent.
    var replayed: String

    /// Mints the token and records it, spending the `jti` in the same commit: exactly one redemption gets a token.
    /// - Parameter context: the grant context.
    /// - Returns: the token response.
    /// - Throws: ``OAuthError`` `invalid_grant` when the `jti` was already spent.
    func issue(_ context: GrantContext) async throws -> TokenResponse {
        let minted = try await context.issuer.mint(grant)
        guard try await context.tokens.record(minted.issuance, spending: spend) else { throw OAuthError.invalidGrant(replayed) }
        return minted.response
    }
}
