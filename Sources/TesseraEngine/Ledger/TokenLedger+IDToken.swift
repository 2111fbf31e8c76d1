import Foundation
import TesseraProtocol
import TesseraStorage

extension TokenLedger {
    /// The ledger entry of an ID token this server signed (OpenID Connect Core §2: `typ: JWT` with `azp`, as
    /// ``TokenIssuer/mintIDToken(subject:audience:nonce:authTime:grant:)`` makes and records them), active or not, and
    /// who holds it: the OAuth client it was issued to, or the GNAP grant's instance or key (RFC 9635 §2.3).
    ///
    /// Revocation reads it (RFC 7009 §2.1: a server may revoke any token it issued): a revoked entry is no longer an
    /// identity assertion (``IDJAGSubjectValidator``).
    /// - Parameter token: the presented token.
    /// - Returns: the entry's record and its holder; `nil` for anything that is not our recorded ID token.
    /// - Throws: store failures.
    func idTokenEntry(for token: String) async throws -> (record: AccessTokenRecord, holder: TokenHolder)? {
        guard token.utf8.count <= CompactJWS.maximumSize, let jws = try? CompactJWS(parsing: token),
            let payload = try? await keyRing.verifyOwnToken(jws, expectedType: "JWT", issuer: issuer),
            let claims = try? JWTClaimSet(payload: payload), claims.string("iss") == issuer,
            let client = claims.string("azp"), claims["client_id"] == nil,
            let jti = claims.string("jti"), PresentedIdentifier.isCanonical(jti, as: .tokenID),
            let record = try await stores.tokens.accessToken(jti: jti), record.clientID == client
        else { return nil }
        guard record.parent?.derivation == .gnap else { return (record, .oauthClient(record.clientID)) }
        guard let grant = try await stores.gnap.grant(id: record.grantID) else { return nil }
        return (record, TokenHolder(gnap: grant))
    }
}
