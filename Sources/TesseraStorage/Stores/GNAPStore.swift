public import Foundation

/// GNAP grants and the tokens issued under them. Every method that hands something out is one
/// transaction; continuation and management tokens are single-use (compare-and-swap on their hash).
public protocol GNAPStore: Sendable {
    /// Stores a new grant with the tokens issued in its first response, and spends in the same transaction the
    /// single-use values its request was proven with (the key proof's `nonce`, RFC 9635 §7.3.1; RFC 9421 §7.2.2):
    /// the grant, its tokens and the nonce commit together or not at all, in one trip to the writer (issue 22).
    /// - Parameters:
    ///   - grant: The grant.
    ///   - issued: The tokens issued in its first response.
    ///   - spends: The values to spend, each as ``ReplayCache/insertIfAbsent(namespace:value:expiresAt:now:)`` would.
    /// - Returns: `false`, storing and spending nothing, when one of the values was already spent (a replay).
    /// - Throws: What the database throws.
    func createGrant(_ grant: GNAPGrantRecord, issued: [GNAPIssuedToken], spending spends: [SingleUseSpend]) async throws -> Bool
    func grant(id: String) async throws -> GNAPGrantRecord?
    /// The grant's tokens that are not revoked, oldest first.
    /// - Parameter grantID: The grant.
    /// - Returns: Their management records (each names its current access token by `jti`).
    /// - Throws: What the database throws.
    func liveTokens(grantID: String) async throws -> [GNAPTokenRecord]
    /// Replaces the grant if its continuation hash is still `expectedContinuationHash` and its state
    /// still `expectedState` (so a resource owner's decision made meanwhile is never overwritten),
    /// and stores the tokens issued in this response.
    ///
    /// With `consumingInteractRef`, the same transaction also spends the grant's finished interaction
    /// whose `interact_ref` hashes to it (RFC 9635 §5.1: a reference is accepted once), so a crash can
    /// never leave the reference spent while the grant still waits for the tokens it was exchanged for.
    ///
    /// `revoking` names (by management id) the grant's earlier tokens the grant as updated no longer stands
    /// behind (RFC 9635 §5.3: another approver, or rights the modification leaves out): they are revoked,
    /// with whatever was derived from them, in the same transaction.
    /// - Returns: `false`, changing nothing, when the continuation hash or the state changed first, or
    ///   the reference is not (or no longer) that of a finished interaction of this grant.
    func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken],
        consumingInteractRef interactRefHash: String?,
        revoking: [String]
    ) async throws -> Bool
    /// Out-of-band decision by a resource owner: `pending` → `approved` (with `subject`) or `denied`.
    /// The grant's earlier tokens stand only behind the same person's approval: a denial revokes all of
    /// them, an approval those issued to anyone but `subject`, in the same transaction. (Their rights are
    /// within the pending request already: a modification revokes what it leaves out.)
    /// With `expectedRequest`, the decision is written only while the grant's stored request is exactly that text
    /// (compare-and-swap): an approval is of the request the person was shown, never of one modified since (RFC 9635
    /// §5.3; review round 13, L3).
    /// - Returns: `false` when the grant is not pending, or its request is not `expectedRequest`.
    func decide(grantID: String, approve: Bool, subject: String?, expectedRequest: String?, at now: Date) async throws -> Bool
    func grants(state: GNAPGrantRecord.State?) async throws -> [GNAPGrantRecord]
    /// The grants in `state` whose resource owner is `subject`, newest first (the account page).
    func grants(subject: String, state: GNAPGrantRecord.State) async throws -> [GNAPGrantRecord]
    func token(manageID: String) async throws -> GNAPTokenRecord?
    func token(jti: String) async throws -> GNAPTokenRecord?
    /// Swaps a token's value: the old access token is revoked, the new one recorded, the management
    /// token replaced — if the management hash is still `expectedManagementHash`.
    func rotateToken(manageID: String, expectedManagementHash: String, replacement: GNAPIssuedToken, at now: Date) async throws -> Bool
    /// Revokes one token (access token and management). - Returns: whether it was active.
    func revokeToken(manageID: String, at now: Date) async throws -> Bool
}

extension GNAPStore {
    /// Stores a new grant with the tokens issued in its first response (nothing to spend).
    /// - Parameters:
    ///   - grant: The grant.
    ///   - issued: The tokens issued in its first response.
    /// - Throws: What the database throws.
    public func createGrant(_ grant: GNAPGrantRecord, issued: [GNAPIssuedToken]) async throws {
        _ = try await createGrant(grant, issued: issued, spending: [])
    }

    /// ``updateGrant(_:expectedContinuationHash:expectedState:issued:consumingInteractRef:revoking:)`` revoking nothing.
    /// - Parameters:
    ///   - grant: The grant as it is to be stored.
    ///   - expectedContinuationHash: The continuation hash it must still have.
    ///   - expectedState: The state it must still be in.
    ///   - issued: The tokens issued in this response.
    ///   - interactRefHash: The interaction reference spent, if any.
    /// - Returns: `false`, changing nothing, when the grant changed first.
    /// - Throws: What the database throws.
    public func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken],
        consumingInteractRef interactRefHash: String?
    ) async throws -> Bool {
        try await updateGrant(
            grant,
            expectedContinuationHash: expectedContinuationHash,
            expectedState: expectedState,
            issued: issued,
            consumingInteractRef: interactRefHash,
            revoking: []
        )
    }

    /// ``updateGrant(_:expectedContinuationHash:expectedState:issued:consumingInteractRef:revoking:)`` without an interaction reference.
    public func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken]
    ) async throws -> Bool {
        try await updateGrant(
            grant,
            expectedContinuationHash: expectedContinuationHash,
            expectedState: expectedState,
            issued: issued,
            consumingInteractRef: nil,
            revoking: []
        )
    }
}
