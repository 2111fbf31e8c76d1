import Foundation
import GRDB

/// ``GNAPStore`` on SQLite. Writes share the group-commit batcher with the token store.
struct SQLiteGNAPStore: GNAPStore {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher
    /// Point reads of token management rows off GRDB's pool (file databases; `nil` in memory).
    var reads: SQLiteReadConnections? = nil

    func createGrant(_ grant: GNAPGrantRecord, issued: [GNAPIssuedToken], spending spends: [SingleUseSpend]) async throws -> Bool {
        do {
            try await Self.create(grant, issued: issued, spending: spends, batcher)
            return true
        } catch is AlreadySpent {
            return false
        }
    }

    /// A value of the grant's request was spent before: thrown inside the job so that its savepoint rolls back
    /// whatever was spent or inserted before it.
    private struct AlreadySpent: Error {}

    private static func create(
        _ grant: GNAPGrantRecord,
        issued: [GNAPIssuedToken],
        spending spends: [SingleUseSpend],
        _ batcher: SQLiteWriteBatcher
    ) async throws {
        // One job of the group commit: the nonce, the grant and its tokens commit together, or none does.
        try await batcher.write { db in
            for spend in spends {
                guard try SQLiteReplayCache.spend(spend, db) else { throw AlreadySpent() }
            }
            // Cached statements (insertRow): they run for every grant.
            try db.insertRow(grant)
            try Self.insert(issued, db)
        }
    }

    func grant(id: String) async throws -> GNAPGrantRecord? {
        try SQLitePointRead.run(writer) { db in
            try Row.fetchOne(try db.cachedStatement(sql: Self.grantSelect), arguments: [id]).map(GNAPGrantRecord.init(row:))
        }
    }

    func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken],
        consumingInteractRef interactRefHash: String?,
        revoking: [String]
    ) async throws -> Bool {
        try await batcher.write { db in
            // The grant moves only if the reference (when one is spent) still belongs to a finished
            // interaction of it; writes are serialized, so the interaction update below then succeeds.
            try db.execute(
                sql: """
                    UPDATE gnap_grants SET state = ?, request = ?, continuation_hash = ?, continue_after = ?, subject = ?,
                        updated_at = ?, expires_at = ?, authenticated_at = ?, approved_at = ?
                    WHERE id = ? AND continuation_hash IS ? AND state = ? AND state <> 'finalized'
                        AND (? IS NULL OR EXISTS (
                            SELECT 1 FROM gnap_interactions
                            WHERE grant_id = gnap_grants.id AND interact_ref_hash = ? AND state = 'finished'))
                    """,
                arguments: [
                    grant.state.rawValue, grant.request, grant.continuationHash, grant.continueAfter.millis, grant.subject,
                    grant.updatedAt.millis, grant.expiresAt.millis, grant.authenticatedAt?.millis, grant.approvedAt?.millis, grant.id,
                    expectedContinuationHash,
                    expectedState.rawValue,
                    interactRefHash, interactRefHash,
                ]
            )
            guard db.changesCount == 1 else { return false }
            if let interactRefHash {
                try db.execute(
                    sql: "UPDATE gnap_interactions SET state = 'used' WHERE grant_id = ? AND interact_ref_hash = ? AND state = 'finished'",
                    arguments: [grant.id, interactRefHash]
                )
            }
            try Self.revokeTokens(of: grant.id, manageIDs: revoking, at: grant.updatedAt, db)
            try Self.insert(issued, db)
            if grant.state == .finalized { try Self.revokeFinalized(grant.id, at: grant.updatedAt, db) }
            return true
        }
    }

    /// Revokes every token of a grant just finalized: its ledger rows with their derived grants, and its management records.
    static func revokeFinalized(_ grantID: String, at now: Date, _ db: Database) throws {
        _ = try SQLiteTokenStore.revokeGrant(grantID, at: now, db)
        try db.execute(
            sql: "UPDATE gnap_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
            arguments: [now.millis, grantID]
        )
    }

    func decide(grantID: String, approve: Bool, subject: String?, expectedRequest: String?, at now: Date) async throws -> Bool {
        try await batcher.write { db in
            try db.execute(
                // Out of band: nobody signed in here, so the grant claims no sign-in time (`auth_time`). An approval is
                // a new one: its tokens' `valid_for` windows count from now.
                sql: """
                    UPDATE gnap_grants SET state = ?, subject = ?, updated_at = ?, authenticated_at = NULL, approved_at = ?
                    WHERE id = ? AND state = 'pending' AND (? IS NULL OR request = ?)
                    """,
                arguments: [
                    approve ? "approved" : "denied", subject, now.millis, approve ? now.millis : nil, grantID, expectedRequest,
                    expectedRequest,
                ]
            )
            guard db.changesCount == 1 else { return false }
            // A denial (no subject) revokes every token; an approval those issued to anyone else.
            let others = try String.fetchAll(
                db,
                sql: """
                    SELECT g.manage_id FROM gnap_tokens g JOIN access_tokens a ON a.jti = g.jti
                    WHERE g.grant_id = ? AND g.revoked_at IS NULL AND a.subject IS NOT ?
                    """,
                arguments: [grantID, subject]
            )
            try Self.revokeTokens(of: grantID, manageIDs: others, at: now, db)
            return true
        }
    }

    func liveTokens(grantID: String) async throws -> [GNAPTokenRecord] {
        try await writer.read { db in
            try db.records(GNAPTokenRecord.self, "WHERE grant_id = ? AND revoked_at IS NULL ORDER BY created_at, manage_id", [grantID])
        }
    }

    /// Revokes the named tokens of one grant (their management and current access token), and what was
    /// derived from them, inside the caller's transaction; ids of other grants or revoked tokens change nothing.
    /// - Parameters:
    ///   - grantID: The grant the tokens must belong to.
    ///   - manageIDs: Their management ids.
    ///   - now: The revocation time.
    ///   - db: The open transaction.
    /// - Throws: What the database throws.
    static func revokeTokens(of grantID: String, manageIDs: [String], at now: Date, _ db: Database) throws {
        for manageID in manageIDs {
            guard
                let jti = try String.fetchOne(
                    db,
                    sql: "SELECT jti FROM gnap_tokens WHERE manage_id = ? AND grant_id = ? AND revoked_at IS NULL",
                    arguments: [manageID, grantID]
                )
            else { continue }
            try db.execute(sql: "UPDATE gnap_tokens SET revoked_at = ? WHERE manage_id = ?", arguments: [now.millis, manageID])
            _ = try SQLiteTokenStore.revokeToken(jti, at: now, db)
        }
    }

    func grants(state: GNAPGrantRecord.State?) async throws -> [GNAPGrantRecord] {
        try await writer.read { db in
            if let state {
                return try db.records(GNAPGrantRecord.self, "WHERE state = ? ORDER BY created_at", [state.rawValue])
            }
            return try db.records(GNAPGrantRecord.self, "ORDER BY created_at")
        }
    }

    func grants(subject: String, state: GNAPGrantRecord.State) async throws -> [GNAPGrantRecord] {
        try await writer.read { db in
            try db.records(
                GNAPGrantRecord.self,
                "WHERE state = ? AND subject = ? ORDER BY created_at DESC, id DESC",
                [state.rawValue, subject]
            )
        }
    }

    func token(manageID: String) async throws -> GNAPTokenRecord? {
        try await writer.read { db in
            try db.record(GNAPTokenRecord.self, "WHERE manage_id = ?", [manageID])
        }
    }

    func token(jti: String) async throws -> GNAPTokenRecord? {
        // Every ledger lookup asks (issue 22): for an OAuth token the answer is no row.
        if let reads { return try reads.first(Self.tokenSelect, key: jti, GNAPTokenRecord.init(row:)) }
        return try SQLitePointRead.run(writer) { db in
            try Row.fetchOne(try db.cachedStatement(sql: Self.tokenSelect), arguments: [jti]).map(GNAPTokenRecord.init(row:))
        }
    }

    func rotateToken(manageID: String, expectedManagementHash: String, replacement: GNAPIssuedToken, at now: Date) async throws -> Bool {
        try await batcher.write { db in
            guard
                let old = try String.fetchOne(
                    db,
                    sql: "SELECT jti FROM gnap_tokens WHERE manage_id = ? AND management_hash = ? AND revoked_at IS NULL",
                    arguments: [manageID, expectedManagementHash]
                )
            else { return false }
            try db.execute(
                sql: "UPDATE gnap_tokens SET management_hash = ?, jti = ? WHERE manage_id = ? AND management_hash = ?",
                arguments: [replacement.token.managementHash, replacement.accessToken.jti, manageID, expectedManagementHash]
            )
            guard db.changesCount == 1 else { return false }
            _ = try SQLiteTokenStore.revokeToken(old, at: now, db)
            try SQLiteTokenStore.insert(TokenIssuance(accessToken: replacement.accessToken, refreshToken: nil), db)
            return true
        }
    }

    func revokeToken(manageID: String, at now: Date) async throws -> Bool {
        try await batcher.write { db in
            guard
                let jti = try String.fetchOne(
                    db,
                    sql: "SELECT jti FROM gnap_tokens WHERE manage_id = ? AND revoked_at IS NULL",
                    arguments: [manageID]
                )
            else { return false }
            try db.execute(sql: "UPDATE gnap_tokens SET revoked_at = ? WHERE manage_id = ?", arguments: [now.millis, manageID])
            _ = try SQLiteTokenStore.revokeToken(jti, at: now, db)
            return true
        }
    }

    // MARK: - Rows

    private static func insert(_ issued: [GNAPIssuedToken], _ db: Database) throws {
        for item in issued {
            try SQLiteTokenStore.insert(TokenIssuance(accessToken: item.accessToken, refreshToken: nil), db)
            try db.insertRow(item.token)
        }
    }

    /// The grant row by id (cached: every continuation reads it).
    static let grantSelect = "SELECT \(GNAPGrantRecord.columns) FROM gnap_grants WHERE id = ?"
    /// The management row by access-token `jti` (cached: every ledger lookup asks).
    static let tokenSelect = "SELECT \(GNAPTokenRecord.columns) FROM gnap_tokens WHERE jti = ?"
}
