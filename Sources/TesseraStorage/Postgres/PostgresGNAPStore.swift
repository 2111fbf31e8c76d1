import Foundation
import PostgresNIO

/// ``GNAPStore`` on PostgreSQL. Continuation and management tokens are compare-and-swap on their
/// hash inside one transaction: of two instances continuing the same grant (or rotating the same
/// token) at once, the second waits for the first's row lock, re-reads the committed hash, and loses.
struct PostgresGNAPStore: GNAPStore {
    let database: PostgresDatabase

    func createGrant(_ grant: GNAPGrantRecord, issued: [GNAPIssuedToken], spending spends: [SingleUseSpend]) async throws -> Bool {
        let logger = database.logger
        // One transaction: the nonce, the grant and its tokens commit together, or none does. A concurrent spend of
        // the same value waits on its key until this commits, then finds it taken (as PostgresReplayCache).
        return try await database.transaction { connection in
            // Several values (a request with several signatures): a savepoint, so that a later one found spent rolls
            // back the earlier ones. A refusal is a result, not an error (errors here count as database failures).
            let several = spends.count > 1
            if several { try await connection.run("SAVEPOINT grant_spends", logger: logger) }
            for spend in spends {
                guard try await PostgresReplayCache.spend(spend, connection, logger) else {
                    if several { try await connection.run("ROLLBACK TO SAVEPOINT grant_spends", logger: logger) }
                    return false
                }
            }
            try await Self.insert(grant, issued, connection, logger)
            return true
        }
    }

    private static func insert(
        _ grant: GNAPGrantRecord,
        _ issued: [GNAPIssuedToken],
        _ connection: PostgresConnection,
        _ logger: Logger
    )
        async throws
    {
        try await connection.run(try grant.insertQuery(), logger: logger)
        try await Self.insert(issued, connection, logger)
    }

    func grant(id: String) async throws -> GNAPGrantRecord? {
        try await database.first(
            "SELECT \(unescaped: GNAPGrantRecord.columns) FROM gnap_grants WHERE id = \(id)",
            GNAPGrantRecord.init(postgres:)
        )
    }

    func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken],
        consumingInteractRef interactRefHash: String?,
        revoking: [String]
    ) async throws -> Bool {
        let logger = database.logger
        return try await database.transaction { connection in
            let (continueAfter, updatedAt, expiresAt) = (grant.continueAfter.millis, grant.updatedAt.millis, grant.expiresAt.millis)
            let (authenticatedAt, approvedAt) = (grant.authenticatedAt?.millis, grant.approvedAt?.millis)
            let updated = try await connection.run(
                """
                UPDATE gnap_grants SET state = \(grant.state.rawValue), request = \(grant.request),
                    continuation_hash = \(grant.continuationHash), continue_after = \(continueAfter), subject = \(grant.subject),
                    updated_at = \(updatedAt), expires_at = \(expiresAt), authenticated_at = \(authenticatedAt),
                    approved_at = \(approvedAt)
                WHERE id = \(grant.id) AND continuation_hash IS NOT DISTINCT FROM \(expectedContinuationHash)
                    AND state = \(expectedState.rawValue) AND state <> 'finalized'
                    AND (\(interactRefHash)::text IS NULL OR EXISTS (
                        SELECT 1 FROM gnap_interactions
                        WHERE grant_id = gnap_grants.id AND interact_ref_hash = \(interactRefHash) AND state = 'finished'))
                RETURNING id
                """,
                logger: logger
            )
            guard updated > 0 else { return false }
            // The grant row is locked now; only a transaction that moved it could have spent the reference.
            if let interactRefHash {
                let spent = try await connection.run(
                    """
                    UPDATE gnap_interactions SET state = 'used'
                    WHERE grant_id = \(grant.id) AND interact_ref_hash = \(interactRefHash) AND state = 'finished' RETURNING id
                    """,
                    logger: logger
                )
                guard spent == 1 else { throw StorageError(.conflict, "the interact_ref was spent concurrently") }
            }
            try await Self.revokeTokens(of: grant.id, manageIDs: revoking, at: updatedAt, connection, logger)
            try await Self.insert(issued, connection, logger)
            if grant.state == .finalized { try await Self.revokeFinalized(grant.id, at: updatedAt, connection, logger) }
            return true
        }
    }

    /// Revokes every token of a grant just finalized: its ledger rows with their derived grants, and its management records.
    static func revokeFinalized(_ grantID: String, at millis: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        _ = try await PostgresTokenStore.revokeGrant(grantID, at: millis, connection, logger)
        try await connection.run(
            "UPDATE gnap_tokens SET revoked_at = \(millis) WHERE grant_id = \(grantID) AND revoked_at IS NULL",
            logger: logger
        )
    }

    func decide(grantID: String, approve: Bool, subject: String?, expectedRequest: String?, at now: Date) async throws -> Bool {
        let (state, millis) = (approve ? "approved" : "denied", now.millis)
        let approvedAt = approve ? millis : nil
        let logger = database.logger
        return try await database.transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE gnap_grants SET state = \(state), subject = \(subject), updated_at = \(millis), authenticated_at = NULL,
                    approved_at = \(approvedAt)
                WHERE id = \(grantID) AND state = 'pending' AND (\(expectedRequest)::text IS NULL OR request = \(expectedRequest))
                RETURNING id
                """,
                logger: logger
            )
            var decided = false
            for try await _ in rows { decided = true }
            guard decided else { return false }
            // A denial (no subject) revokes every token; an approval those issued to anyone else.
            let others = try await connection.query(
                """
                SELECT g.manage_id FROM gnap_tokens g JOIN access_tokens a ON a.jti = g.jti
                WHERE g.grant_id = \(grantID) AND g.revoked_at IS NULL AND a.subject IS DISTINCT FROM \(subject)
                """,
                logger: logger
            )
            var manageIDs: [String] = []
            for try await manageID in others.decode(String.self) { manageIDs.append(manageID) }
            try await Self.revokeTokens(of: grantID, manageIDs: manageIDs, at: millis, connection, logger)
            return true
        }
    }

    func liveTokens(grantID: String) async throws -> [GNAPTokenRecord] {
        try await database.records(
            GNAPTokenRecord.self,
            "WHERE grant_id = \(grantID) AND revoked_at IS NULL ORDER BY created_at, manage_id"
        )
    }

    /// Revokes the named tokens of one grant (their management and current access token), and what was
    /// derived from them, inside the caller's transaction; ids of other grants or revoked tokens change nothing.
    /// - Parameters:
    ///   - grantID: The grant the tokens must belong to.
    ///   - manageIDs: Their management ids.
    ///   - millis: The revocation time.
    ///   - connection: The connection holding the transaction.
    ///   - logger: The database logger.
    /// - Throws: What the database throws.
    static func revokeTokens(
        of grantID: String,
        manageIDs: [String],
        at millis: Int64,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        for manageID in manageIDs {
            let revoked = try await connection.query(
                """
                UPDATE gnap_tokens SET revoked_at = \(millis)
                WHERE manage_id = \(manageID) AND grant_id = \(grantID) AND revoked_at IS NULL RETURNING jti
                """,
                logger: logger
            )
            var jti: String?
            for try await value in revoked.decode(String.self) { jti = value }
            if let jti { _ = try await PostgresTokenStore.revokeToken(jti, at: millis, connection, logger) }
        }
    }

    func grants(state: GNAPGrantRecord.State?) async throws -> [GNAPGrantRecord] {
        let wanted = state?.rawValue
        return try await database.records(
            GNAPGrantRecord.self,
            "WHERE \(wanted)::TEXT IS NULL OR state = \(wanted) ORDER BY created_at, id"
        )
    }

    func grants(subject: String, state: GNAPGrantRecord.State) async throws -> [GNAPGrantRecord] {
        try await database.records(
            GNAPGrantRecord.self,
            "WHERE state = \(state.rawValue) AND subject = \(subject) ORDER BY created_at DESC, id DESC"
        )
    }

    func token(manageID: String) async throws -> GNAPTokenRecord? {
        try await database.record(GNAPTokenRecord.self, "WHERE manage_id = \(manageID)")
    }

    func token(jti: String) async throws -> GNAPTokenRecord? {
        try await database.first(
            "SELECT \(unescaped: GNAPTokenRecord.columns) FROM gnap_tokens WHERE jti = \(jti)",
            GNAPTokenRecord.init(postgres:)
        )
    }

    func rotateToken(manageID: String, expectedManagementHash: String, replacement: GNAPIssuedToken, at now: Date) async throws -> Bool {
        let logger = database.logger
        let millis = now.millis
        return try await database.transaction { connection in
            // FOR UPDATE: a concurrent rotation waits here, then re-checks the hash against the committed row.
            let current = try await connection.rows(
                """
                SELECT jti FROM gnap_tokens
                WHERE manage_id = \(manageID) AND management_hash = \(expectedManagementHash) AND revoked_at IS NULL
                FOR UPDATE
                """,
                logger: logger
            ) { try $0.decode(String.self) }
            guard let old = current.last else { return false }
            try await connection.run(
                """
                UPDATE gnap_tokens SET management_hash = \(replacement.token.managementHash), jti = \(replacement.accessToken.jti)
                WHERE manage_id = \(manageID)
                """,
                logger: logger
            )
            _ = try await PostgresTokenStore.revokeToken(old, at: millis, connection, logger)
            try await PostgresTokenStore.insert(TokenIssuance(accessToken: replacement.accessToken, refreshToken: nil), connection, logger)
            return true
        }
    }

    func revokeToken(manageID: String, at now: Date) async throws -> Bool {
        let logger = database.logger
        let millis = now.millis
        return try await database.transaction { connection in
            let revoked = try await connection.rows(
                "UPDATE gnap_tokens SET revoked_at = \(millis) WHERE manage_id = \(manageID) AND revoked_at IS NULL RETURNING jti",
                logger: logger
            ) { try $0.decode(String.self) }
            guard let jti = revoked.last else { return false }
            _ = try await PostgresTokenStore.revokeToken(jti, at: millis, connection, logger)
            return true
        }
    }

    // MARK: - Rows

    private static func insert(_ issued: [GNAPIssuedToken], _ connection: PostgresConnection, _ logger: Logger) async throws {
        for item in issued {
            try await PostgresTokenStore.insert(TokenIssuance(accessToken: item.accessToken, refreshToken: nil), connection, logger)
            try await connection.run(try item.token.insertQuery(), logger: logger)
        }
    }
}
