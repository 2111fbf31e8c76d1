public import Foundation

/// Issued tokens: access tokens by `jti`, refresh tokens by hash, grouped by grant for cascade revocation.
public protocol TokenStore: Sendable {
    /// Durably records everything a token response hands out, in one transaction.
    func record(_ issuance: TokenIssuance) async throws
    func accessToken(jti: String) async throws -> AccessTokenRecord?
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Atomically marks the refresh token used and records `replacement`. When the token was already
    /// used, revokes every token of its grant instead (RFC 9700 §4.14.2) and records nothing.
    func rotateRefreshToken(hash: String, at now: Date, replacement: TokenIssuance) async throws -> RefreshRotation
    /// Revokes every access and refresh token of the grant. - Returns: the number of tokens revoked.
    @discardableResult func revokeGrant(id: String, at now: Date) async throws -> Int
    /// Revokes one access token. - Returns: whether it was active.
    @discardableResult func revokeAccessToken(jti: String, at now: Date) async throws -> Bool
    /// Revokes every access and refresh token issued to the client (its registration was deleted,
    /// RFC 7592 §2.3). - Returns: the number of tokens revoked.
    @discardableResult func revokeTokens(clientID: String, at now: Date) async throws -> Int
    /// Deletes records that expired before `date`. - Returns: the number deleted.
    func deleteExpired(before date: Date) async throws -> Int
}
