import Foundation
import TesseraProtocol
import TesseraStorage

/// The one answer to "is this our access token, is it active, with what rights" (issue 19) for OAuth
/// introspection (RFC 7662), GNAP introspection (RFC 9767 §3.3), token exchange (RFC 8693 §2.1),
/// revocation (RFC 7009) and UserInfo. It verifies our signature, `typ: at+jwt` (RFC 9068 §2.1) and
/// `iss` once, then reads the access-token record and, for a GNAP token, its management record and grant.
public struct TokenLedger: Sendable {
    let issuer: String
    let keyRing: KeyRing
    let stores: Stores
    let now: @Sendable () -> Date
    /// Signature checks already made (issue 22); never whether a token is active.
    let verifiedTokens = VerifiedTokenCache()

    /// The entry of an access token this server signed and recorded, active or not; `nil` for anything else.
    public func entry(for token: String) async throws -> LedgerEntry? {
        guard let verified = await verify(token) else { return nil }
        return try await entry(verified)
    }

    /// The entry of a token whose signature this instance has already checked (VerifiedTokenCache), without parsing
    /// or verifying anything; `nil` when it has not (then ``entry(for:)`` answers), so a caller that would first have
    /// parsed the token to route it can skip that for tokens it has seen (token exchange, issue 22).
    func entryIfVerified(_ token: String) async throws -> LedgerEntry? {
        guard token.utf8.count <= CompactJWS.maximumSize,
            let verified = verifiedTokens.lookup(.init(token), generation: keyRing.keysGeneration, now: now())
        else { return nil }
        return try await entry(verified)
    }

    private func entry(_ verified: VerifiedTokenCache.Verified) async throws -> LedgerEntry? {
        guard let record = try await stores.tokens.accessToken(jti: verified.jti) else { return nil }
        let (jti, claims) = (verified.jti, verified.claims)
        var entry = LedgerEntry(
            jti: jti,
            holder: .oauthClient(record.clientID),
            subject: record.subject,
            audience: record.audience,
            rights: [],
            binding: .bearer,
            confirmation: claims.confirmation,
            issuedAt: record.issuedAt,
            expiresAt: record.expiresAt,
            active: record.isActive(at: now()),
            claims: claims
        )
        if let management = try await stores.gnap.token(jti: jti) {
            // GNAP (RFC 9635 §8): the rights of the management record, the grant's key unless `bearer`; both read as the
            // GNAP door reads them (the key by hand, issue 22), not through Foundation's JSONDecoder.
            let grant = try await stores.gnap.grant(id: management.grantID)
            guard let access = try? GNAPService.decode([GNAPAccessRight].self, from: Array(management.access.utf8)) else { return nil }
            for right in access {
                switch right {
                case .reference(let value): entry.rights.append(.simple(value))
                case .object(let object):
                    guard let detail = JWTClaimSet.jsonValue(object) else { return nil }
                    entry.rights.append(.detail(detail))
                }
            }
            if !management.flags.contains("bearer") {
                guard let key = try? GNAPService.decode(GNAPKey.self, from: Array((grant?.clientKey ?? "").utf8)) else { return nil }
                entry.binding = .gnapKey(key)
            }
            entry.holder = grant?.instanceID.map(TokenHolder.gnapInstance) ?? .gnapKey(thumbprint: record.clientID)
            entry.active = entry.active && management.revokedAt == nil && grant.map { $0.state != .finalized } == true
            return entry
        }
        // OAuth: scope and `authorization_details` (RFC 9396 §9.1); bound by DPoP only, so another `cnf` is not ours to describe.
        entry.rights = Scope(record.scope.split(separator: " ").map(String.init)).tokens.map(LedgerEntry.Right.simple)
        if case .array(let details)? = claims["authorization_details"] { entry.rights += details.map(LedgerEntry.Right.detail) }
        if let cnf = entry.confirmation {
            guard let jkt = cnf.jkt else { return nil }
            entry.binding = .dpop(jkt: jkt)
        }
        return entry
    }

    /// Our signature, `typ: at+jwt` and `iss` on `token`, checked once per token and key ring (VerifiedTokenCache).
    private func verify(_ token: String) async -> VerifiedTokenCache.Verified? {
        guard token.utf8.count <= CompactJWS.maximumSize else { return nil }
        let key = VerifiedTokenCache.Key(token)
        let generation = keyRing.keysGeneration
        if let verified = verifiedTokens.lookup(key, generation: generation, now: now()) { return verified }
        guard token.split(separator: ".", omittingEmptySubsequences: false).count == 3,
            let jws = try? CompactJWS(parsing: token),
            let payload = try? await keyRing.verifyOwnToken(jws, expectedType: AccessTokenClaims.type, issuer: issuer),
            let claims = try? JWTClaimSet(payload: payload), claims.string("iss") == issuer, let jti = claims.string("jti")
        else { return nil }
        let verified = VerifiedTokenCache.Verified(jti: jti, claims: claims)
        verifiedTokens.insert(key, verified, generation: generation, now: now())
        return verified
    }
}
