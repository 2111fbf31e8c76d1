import Foundation
import TesseraProtocol
import TesseraStorage

/// Which of a grant's tokens the grant's approval, as it now stands, stands behind. A token is issued
/// under one approval: one person's (or the instance's own policy's) decision about one set of rights.
/// A modification (RFC 9635 §5.3) may replace either; the AS may then revoke older tokens, and here it
/// does for every token the new approval does not cover, so a token never outlives the approval it was
/// issued under and never carries more than its grant now holds. Rotation (§6.1) and derivation (RFC
/// 9767 §4) renew a token only while it stands.
extension GNAPService {
    /// Whether a token stands under its grant as the grant now is: the grant is approved, or waiting for
    /// a person to decide a modification (the earlier approval stands until then); the token was issued to
    /// the grant's subject (its approver, or the instance itself for its own access); and every right it
    /// carries (and `bearer`) is within the grant's current request (``GNAPRightsCoverage/coversIssued(_:_:)``).
    /// - Parameters:
    ///   - token: the token's management record (its granted access and flags).
    ///   - subject: the `sub` the token was issued with (its ledger record).
    ///   - grant: the grant as it now is.
    ///   - request: the grant's current request.
    /// - Returns: `true` when the token stands.
    static func stands(
        _ token: GNAPTokenRecord,
        issuedTo subject: String,
        under grant: GNAPGrantRecord,
        request: GNAPGrantRequest
    ) -> Bool {
        guard grant.state == .approved || grant.state == .pending else { return false }
        let approver = grant.subject ?? grant.instanceID ?? grant.keyThumbprint
        guard Array(subject.utf8) == Array(approver.utf8),
            let access = try? decode([GNAPAccessRight].self, from: Array(token.access.utf8))
        else { return false }
        let held = GNAPTokenRequest(access: access, label: token.label, flags: token.flags.isEmpty ? nil : token.flags)
        return GNAPRightsCoverage.coversIssued(request.accessToken, held)
    }

    /// The grant's live tokens that do not stand under it as it is about to be stored (``stands(_:issuedTo:under:request:)``):
    /// the store revokes them in the same write that replaces the approval.
    /// - Parameters:
    ///   - grant: the grant as it is about to be stored (state, subject).
    ///   - request: its request as it is about to be stored.
    /// - Returns: the management ids of the tokens to revoke.
    /// - Throws: store failures.
    func superseded(under grant: GNAPGrantRecord, request: GNAPGrantRequest) async throws -> [String] {
        var ended: [String] = []
        for token in try await stores.gnap.liveTokens(grantID: grant.id) {
            let issuedAs = try await stores.tokens.accessToken(jti: token.jti)
            if let subject = issuedAs?.subject, Self.stands(token, issuedTo: subject, under: grant, request: request) { continue }
            ended.append(token.manageID)
        }
        return ended
    }
}
