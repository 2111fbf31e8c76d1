public import Foundation

/// GNAP grants and the tokens issued under them. Every method that hands something out is one
/// transaction; continuation and management tokens are single-use (compare-and-swap on their hash).
public protocol GNAPStore: Sendable {
    /// Stores a new grant with the tokens issued in its first response.
    func createGrant(_ grant: GNAPGrantRecord, issued: [GNAPIssuedToken]) async throws
    func grant(id: String) async throws -> GNAPGrantRecord?
    /// Replaces the grant if its continuation hash is still `expectedContinuationHash` and its state
    /// still `expectedState` (so a resource owner's decision made meanwhile is never overwritten),
    /// and stores the tokens issued in this response. - Returns: `false` when either changed first.
    func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken]
    ) async throws -> Bool
    /// Out-of-band decision by a resource owner: `pending` → `approved` (with `subject`) or `denied`.
    /// - Returns: `false` when the grant is not pending.
    func decide(grantID: String, approve: Bool, subject: String?, at now: Date) async throws -> Bool
    func grants(state: GNAPGrantRecord.State?) async throws -> [GNAPGrantRecord]
    func token(manageID: String) async throws -> GNAPTokenRecord?
    func token(jti: String) async throws -> GNAPTokenRecord?
    /// Swaps a token's value: the old access token is revoked, the new one recorded, the management
    /// token replaced — if the management hash is still `expectedManagementHash`.
    func rotateToken(manageID: String, expectedManagementHash: String, replacement: GNAPIssuedToken, at now: Date) async throws -> Bool
    /// Revokes one token (access token and management). - Returns: whether it was active.
    func revokeToken(manageID: String, at now: Date) async throws -> Bool
}
