import Foundation
import GRDB

/// ``TokenStore`` on SQLite. Writes go through the batcher so concurrent token responses share a commit.
struct SQLiteTokenStore: TokenStore {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher
    /// Point reads of access-token rows off GRDB's pool (file databases; `nil` in memory).
    var reads: SQLiteReadConnections? = nil

    func record(_ issuance: TokenIssuance) async throws {
        try await batcher.write { db in try Self.insert(issuance, db) }
    }

    func record(_ issuance: TokenIssuance, spending spend: SingleUseSpend) async throws -> Bool {
        // One job of the group commit: the spend and the record commit together, or neither does.
        try await batcher.write { db in
            guard try SQLiteReplayCache.spend(spend, db) else { return false }
            try Self.insert(issuance, db)
            return true
        }
    }

    func record(_ issuance: TokenIssuance, redeemingCode hash: String, at now: Date) async throws -> Bool {
        try await batcher.write { db in
            guard try SQLiteAuthorizationCodeStore.redeem(hash, at: now, db) else { return false }
            try Self.insert(issuance, db)
            return true
        }
    }

    func accessToken(jti: String) async throws -> AccessTokenRecord? {
        if let reads { return try reads.first(Self.accessSelect, key: jti, AccessTokenRecord.init(row:)) }
        // Cached statements: introspection and exchange read these on every request, and preparing `SELECT *`
        // runs GRDB's authorizer once per column (issue 22: ~6 % of an introspection). A point read: on the caller's thread.
        return try SQLitePointRead.run(writer) { db in
            try Row.fetchOne(try db.cachedStatement(sql: Self.accessSelect), arguments: [jti]).map(AccessTokenRecord.init(row:))
        }
    }

    func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try SQLitePointRead.run(writer) { db in
            try Row.fetchOne(try db.cachedStatement(sql: Self.refreshSelect), arguments: [hash]).map(RefreshTokenRecord.init(row:))
        }
    }

    func rotateRefreshToken(hash: String, at now: Date, replacement: TokenIssuance) async throws -> RefreshRotation {
        try await batcher.write { db in
            try db.execute(
                sql: """
                    UPDATE refresh_tokens SET used_at = ?
                    WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
                    """,
                arguments: [now.millis, hash, now.millis]
            )
            if db.changesCount == 1 {
                try Self.insert(replacement, db)
                return .rotated
            }
            guard
                let row = try Row.fetchOne(db, sql: "SELECT grant_id, used_at FROM refresh_tokens WHERE token_hash = ?", arguments: [hash])
            else { return .invalid }
            let grantID: String = row["grant_id"]
            if (row["used_at"] as Int64?) != nil {
                _ = try Self.revokeGrant(grantID, at: now, db)
                return .reuseDetected(grantID: grantID)
            }
            return .invalid
        }
    }

    func revokeGrant(id: String, at now: Date) async throws -> Int {
        try await batcher.write { db in try Self.revokeGrant(id, at: now, db) }
    }

    func revokeAccessToken(jti: String, at now: Date) async throws -> Bool {
        try await batcher.write { db in try Self.revokeToken(jti, at: now, db) }
    }

    func descendants(of jti: String) async throws -> [AccessTokenRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: TokenLineageSQL.derived(from: TokenLineageSQL.children(of: "?"))
                    + " SELECT \(AccessTokenRecord.columns) FROM access_tokens WHERE grant_id IN (SELECT grant_id FROM derived)"
                    + " ORDER BY issued_at, jti",
                arguments: [jti]
            ).map(AccessTokenRecord.init(row:))
        }
    }

    func deleteExpired(before date: Date) async throws -> Int {
        try await batcher.write { db in
            try db.execute(sql: TokenLineageSQL.deleteExpiredAccessTokens(before: "?"), arguments: [date.millis])
            var removed = db.changesCount
            for table in ["refresh_tokens", "replay_cache"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE expires_at < ?", arguments: [date.millis])
                removed += db.changesCount
            }
            return removed
        }
    }

    // MARK: - Rows

    static func insert(_ issuance: TokenIssuance, _ db: Database) throws {
        try insert(issuance.accessToken, db)
        for companion in issuance.companions { try insert(companion, db) }
        // A second edge recorded revoked (its parent token was revoked before this commit) revokes the whole new grant:
        // the token dies with either token it derives from (eighth review, F7).
        if issuance.companions.contains(where: { $0.parent?.tokenID != nil }) {
            try db.execute(
                sql: """
                    UPDATE access_tokens SET revoked_at = (SELECT MIN(revoked_at) FROM access_tokens WHERE grant_id = ?)
                    WHERE grant_id = ? AND revoked_at IS NULL
                    AND EXISTS (SELECT 1 FROM access_tokens WHERE grant_id = ? AND revoked_at IS NOT NULL)
                    """,
                arguments: [issuance.accessToken.grantID, issuance.accessToken.grantID, issuance.accessToken.grantID]
            )
        }
        if let refresh = issuance.refreshToken { try db.insertRow(refresh) }
    }

    /// One ledger row (an access token, or another entry of its grant).
    private static func insert(_ access: AccessTokenRecord, _ db: Database) throws {
        // Cached statements: these run for every token issued. A token derived from a revoked token is
        // recorded revoked: writes are serialized, so no cascade can miss it (issue 19).
        try db.cachedStatement(
            sql: """
                INSERT INTO access_tokens
                (jti, grant_id, client_id, subject, scope, audience, issued_at, expires_at, revoked_at, parent_kind, parent_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT revoked_at FROM access_tokens WHERE jti = ?)), ?, ?)
                """
        ).run([
            .text(access.jti), .text(access.grantID), .text(access.clientID), .text(access.subject), .text(access.scope),
            .text(access.audience.joined(separator: "\n")), .integer(access.issuedAt.millis), .integer(access.expiresAt.millis),
            .integer(access.revokedAt?.millis), .text(access.parent?.tokenID), .text(access.parent?.derivation.rawValue),
            .text(access.parent?.id),
        ])
    }

    /// Revokes every access and refresh token of the grant and of every grant derived from its tokens (issue 19).
    static func revokeGrant(_ grantID: String, at now: Date, _ db: Database) throws -> Int {
        try revokeDerived(anchor: "SELECT ?", root: grantID, at: now, db)
    }

    /// Revokes the access token and every grant derived from it. - Returns: whether the token itself was active.
    static func revokeToken(_ jti: String, at now: Date, _ db: Database) throws -> Bool {
        try db.execute(sql: "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL", arguments: [now.millis, jti])
        let wasActive = db.changesCount == 1
        _ = try revokeDerived(anchor: TokenLineageSQL.children(of: "?"), root: jti, at: now, db)
        return wasActive
    }

    private static func revokeDerived(anchor: String, root: String, at now: Date, _ db: Database) throws -> Int {
        var count = 0
        for table in ["access_tokens", "refresh_tokens"] {
            try db.execute(
                sql: TokenLineageSQL.derived(from: anchor)
                    + " UPDATE \(table) SET revoked_at = ? WHERE revoked_at IS NULL AND grant_id IN (SELECT grant_id FROM derived)",
                arguments: [root, now.millis]
            )
            count += db.changesCount
        }
        return count
    }

    /// The access-token row by `jti` (cached: introspection and exchange read it on every request).
    static let accessSelect = "SELECT \(AccessTokenRecord.columns) FROM access_tokens WHERE jti = ?"
    /// The refresh-token row by hash.
    static let refreshSelect = "SELECT \(RefreshTokenRecord.columns) FROM refresh_tokens WHERE token_hash = ?"
}
