public import Foundation

/// Issued tokens: access tokens by `jti`, refresh tokens by hash, grouped by grant, each access token with
/// its parent (``TokenParent``): revoking a node revokes its descendants (docs/SECURITY.md, "Revocation
/// cascades along derivation edges").
public protocol TokenStore: Sendable {
    /// Durably records everything a token response hands out, in one transaction.
    func record(_ issuance: TokenIssuance) async throws
    /// Spends a single-use value (a JWT grant's `jti`, RFC 7523 §3 item 7) and records `issuance` in one durable
    /// transaction: the value is spent exactly when the token it paid for is recorded (issue 22: one commit per
    /// redemption instead of two). The value is spent as ``ReplayCache/insertIfAbsent(namespace:value:expiresAt:now:)``
    /// would spend it, in the same table, so either path sees the other's spends.
    /// - Parameters:
    ///   - issuance: What the token response hands out.
    ///   - spend: The single-use value the issuance consumes.
    /// - Returns: `true` when the value was new and the issuance is recorded; `false` when it was already spent and has
    ///   not expired (a replay): nothing is recorded.
    /// - Throws: ``StorageError`` when the store cannot write.
    func record(_ issuance: TokenIssuance, spending spend: SingleUseSpend) async throws -> Bool
    /// Redeems the authorization code with hash `hash` and records `issuance` in one durable transaction, as
    /// ``record(_:spending:)`` spends a `jti`: a code is used exactly when its tokens are recorded, so a replay that finds
    /// it used revokes them (RFC 6749 §4.1.2, RFC 9700 §4.5; thirteenth review, J5).
    /// - Returns: `false`, recording nothing, when the code is unknown, already used or expired at `now`.
    func record(_ issuance: TokenIssuance, redeemingCode hash: String, at now: Date) async throws -> Bool
    func accessToken(jti: String) async throws -> AccessTokenRecord?
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Atomically marks the refresh token used and records `replacement`. When the token was already
    /// used, revokes every token of its grant instead (RFC 9700 §4.14.2) and records nothing.
    func rotateRefreshToken(hash: String, at now: Date, replacement: TokenIssuance) async throws -> RefreshRotation
    /// Revokes every access and refresh token of the grant and, in the same transaction, of every grant
    /// derived from its tokens, at any depth. - Returns: the number of tokens revoked.
    @discardableResult func revokeGrant(id: String, at now: Date) async throws -> Int
    /// Revokes one access token and, in the same transaction, every grant derived from it at any depth (not
    /// the token's own grant). - Returns: whether the token itself was active.
    @discardableResult func revokeAccessToken(jti: String, at now: Date) async throws -> Bool
    /// Every access token derived from this one at any depth (the tokens of the grants derived from it), oldest first.
    func descendants(of jti: String) async throws -> [AccessTokenRecord]

    /// Revokes every access and refresh token issued to the client (its registration was deleted,
    /// RFC 7592 §2.3), withdraws every consent people gave it and spends its unredeemed codes, in one transaction: a
    /// client later registered under the same id inherits no approval (review round 13, L11).
    /// - Returns: the number of tokens revoked.
    @discardableResult func revokeTokens(clientID: String, at now: Date) async throws -> Int
    /// Deletes records that expired before `date`. - Returns: the number deleted.
    func deleteExpired(before date: Date) async throws -> Int
}

extension TokenStore {
    /// The token's ancestors through token edges (``TokenParent/tokenID``), root first, at most `limit`; the
    /// walk stops at a parent the ledger does not hold (another domain's grant, or one removed after expiry).
    public func ancestry(of jti: String, limit: Int = 64) async throws -> [AccessTokenRecord] {
        var chain: [AccessTokenRecord] = []
        var next = try await accessToken(jti: jti)?.parent?.tokenID
        while let parent = next, chain.count < limit, let record = try await accessToken(jti: parent) {
            chain.insert(record, at: 0)
            next = record.parent?.tokenID
        }
        return chain
    }
}
