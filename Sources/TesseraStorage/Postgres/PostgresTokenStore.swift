import Foundation
import PostgresNIO

/// ``TokenStore`` on PostgreSQL. Every write is one transaction committed before the call returns.
///
/// Refresh-token rotation is a conditional `UPDATE … RETURNING`: under READ COMMITTED a second
/// instance racing on the same token waits for the first one's row lock, re-checks `used_at IS NULL`
/// against the committed row and gets nothing back, so exactly one rotation wins and the loser sees
/// reuse (RFC 9700 §4.14.2).
struct PostgresTokenStore: TokenStore {
    let database: PostgresDatabase

    func record(_ issuance: TokenIssuance) async throws {
        let logger = database.logger
        if issuance.refreshToken == nil, issuance.companions.isEmpty {
            // One statement is its own transaction: skip BEGIN/COMMIT round trips on the hot path.
            try await database.withConnection { connection in try await Self.insert(issuance, connection, logger) }
        } else {
            try await database.transaction { connection in try await Self.insert(issuance, connection, logger) }
        }
    }

    func record(_ issuance: TokenIssuance, spending spend: SingleUseSpend) async throws -> Bool {
        let logger = database.logger
        // One transaction: the spend and the record commit together, or neither does. A concurrent spend of the same
        // value waits on its key until this commits, then finds it taken (as PostgresReplayCache).
        return try await database.transaction { connection in
            guard try await PostgresReplayCache.spend(spend, connection, logger) else { return false }
            try await Self.insert(issuance, connection, logger)
            return true
        }
    }

    func record(_ issuance: TokenIssuance, redeemingCode hash: String, at now: Date) async throws -> Bool {
        let logger = database.logger
        // The code's row stays locked until this commits: a replay or a consent withdrawal spending it meanwhile waits,
        // then finds it used and these tokens committed (J5).
        return try await database.transaction { connection in
            guard try await PostgresAuthorizationCodeStore.redeem(hash, at: now.millis, connection, logger) else { return false }
            try await Self.insert(issuance, connection, logger)
            return true
        }
    }

    func accessToken(jti: String) async throws -> AccessTokenRecord? {
        try await database.first(
            "SELECT \(unescaped: AccessTokenRecord.columns) FROM access_tokens WHERE jti = \(jti)",
            AccessTokenRecord.init(postgres:)
        )
    }

    func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await database.first(
            "SELECT \(unescaped: RefreshTokenRecord.columns) FROM refresh_tokens WHERE token_hash = \(hash)",
            RefreshTokenRecord.init(postgres:)
        )
    }

    func rotateRefreshToken(hash: String, at now: Date, replacement: TokenIssuance) async throws -> RefreshRotation {
        let logger = database.logger
        let millis = now.millis
        return try await database.transaction { connection in
            // Rotations of one refresh token take turns (until commit). Without this, the losers of a race
            // each go on to revoke the family while others still wait on the token's row lock, and
            // PostgreSQL can find a deadlock among them (seen in the two-instance race test).
            let lockName = "tessera-refresh:" + hash
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: logger)
            let claimed = try await connection.run(
                """
                UPDATE refresh_tokens SET used_at = \(millis)
                WHERE token_hash = \(hash) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(millis)
                RETURNING grant_id
                """,
                logger: logger
            )
            if claimed > 0 {
                try await Self.insert(replacement, connection, logger)
                return .rotated
            }
            let existing = try await connection.rows(
                "SELECT grant_id, used_at FROM refresh_tokens WHERE token_hash = \(hash)",
                logger: logger
            ) { try $0.decode((String, Int64?).self) }
            guard case (let grantID, let usedAt)? = existing.last else { return .invalid }
            if usedAt != nil {
                _ = try await Self.revokeGrant(grantID, at: millis, connection, logger)
                return .reuseDetected(grantID: grantID)
            }
            return .invalid
        }
    }

    func revokeGrant(id: String, at now: Date) async throws -> Int {
        let logger = database.logger
        let millis = now.millis
        return try await database.transaction { connection in try await Self.revokeGrant(id, at: millis, connection, logger) }
    }

    func revokeAccessToken(jti: String, at now: Date) async throws -> Bool {
        let logger = database.logger
        let millis = now.millis
        return try await database.transaction { connection in try await Self.revokeToken(jti, at: millis, connection, logger) }
    }

    func descendants(of jti: String) async throws -> [AccessTokenRecord] {
        try await database.withConnection { connection in
            var binds = PostgresBindings()
            binds.append(jti)
            let sql =
                TokenLineageSQL.derived(from: TokenLineageSQL.children(of: "$1"))
                + " SELECT \(AccessTokenRecord.columns) FROM access_tokens WHERE grant_id IN (SELECT grant_id FROM derived) ORDER BY issued_at, jti"
            return try await connection.rows(
                PostgresQuery(unsafeSQL: sql, binds: binds),
                logger: database.logger,
                AccessTokenRecord.init(postgres:)
            )
        }
    }

    func deleteExpired(before date: Date) async throws -> Int {
        var bindings = PostgresBindings()
        bindings.append(date.millis)
        let binds = bindings
        let sql = """
            WITH a AS (\(TokenLineageSQL.deleteExpiredAccessTokens(before: "$1")) RETURNING 1),
                 r AS (DELETE FROM refresh_tokens WHERE expires_at < $1 RETURNING 1),
                 c AS (DELETE FROM replay_cache WHERE expires_at < $1 RETURNING 1)
            SELECT ((SELECT count(*) FROM a) + (SELECT count(*) FROM r) + (SELECT count(*) FROM c))::INT8
            """
        return try await database.transaction { connection in
            let counts = try await connection.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger: database.logger) {
                try $0.decode(Int64.self)
            }
            return Int(counts.last ?? 0)
        }
    }

    // MARK: - Rows

    static func insert(_ issuance: TokenIssuance, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await insert(issuance.accessToken, connection, logger)
        for companion in issuance.companions { try await insert(companion, connection, logger) }
        // A second edge recorded revoked (its parent token was revoked before this commit) revokes the whole new grant:
        // the token dies with either token it derives from (eighth review, F7).
        if issuance.companions.contains(where: { $0.parent?.tokenID != nil }) {
            let grantID = issuance.accessToken.grantID
            try await connection.run(
                """
                UPDATE access_tokens SET revoked_at = (SELECT MIN(revoked_at) FROM access_tokens WHERE grant_id = \(grantID))
                WHERE grant_id = \(grantID) AND revoked_at IS NULL
                AND EXISTS (SELECT 1 FROM access_tokens WHERE grant_id = \(grantID) AND revoked_at IS NOT NULL)
                """,
                logger: logger
            )
        }
        if let refresh = issuance.refreshToken {
            try await connection.run(try refresh.insertQuery(), logger: logger)
        }
    }

    /// One ledger row (an access token, or another entry of its grant).
    private static func insert(_ access: AccessTokenRecord, _ connection: PostgresConnection, _ logger: Logger) async throws {
        if let parentToken = access.parent?.tokenID {
            let (issuedAt, expiresAt, revokedAt) = (access.issuedAt.millis, access.expiresAt.millis, access.revokedAt?.millis)
            let (kind, parentID) = (access.parent?.derivation.rawValue, access.parent?.id)
            // A token derived from a revoked token is recorded revoked. The parent's row is share-locked until this
            // commits: a cascade revoking it meanwhile waits, then its next pass finds this token (issue 19).
            try await connection.run(
                """
                INSERT INTO access_tokens
                (jti, grant_id, client_id, subject, scope, audience, issued_at, expires_at, revoked_at, parent_kind, parent_id)
                VALUES (\(access.jti), \(access.grantID), \(access.clientID), \(access.subject), \(access.scope), \(access.audience),
                        \(issuedAt), \(expiresAt),
                        COALESCE(\(revokedAt), (SELECT revoked_at FROM access_tokens WHERE jti = \(parentToken) FOR SHARE)), \(kind), \(parentID))
                """,
                logger: logger
            )
        } else {
            try await connection.run(try access.insertQuery(), logger: logger)
        }
    }

    static func revokeGrant(_ grantID: String, at millis: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        // Revocations of one grant take turns (until commit): two instances revoking the same family at
        // once — every loser of a rotation race does — would otherwise lock its rows in different orders.
        let lockName = "tessera-grant:" + grantID
        try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: logger)
        return try await revokeDerived(anchor: "SELECT $1::TEXT", root: grantID, at: millis, connection, logger)
    }

    /// Revokes the access token and every grant derived from it (issue 19). - Returns: whether the token itself was active.
    static func revokeToken(_ jti: String, at millis: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        let revoked = try await connection.run(
            "UPDATE access_tokens SET revoked_at = \(millis) WHERE jti = \(jti) AND revoked_at IS NULL RETURNING jti",
            logger: logger
        )
        _ = try await revokeDerived(anchor: TokenLineageSQL.children(of: "$1"), root: jti, at: millis, connection, logger)
        return revoked > 0
    }

    /// Revokes the access and refresh tokens of `anchor`'s grants and of every grant derived from them, in passes
    /// until one finds nothing: a token derived meanwhile on another instance commits only after this transaction
    /// has revoked its parent (it share-locks the parent, see ``insert(_:_:_:)``), so the next pass's snapshot holds it.
    static func revokeDerived(
        anchor: String,
        root: String,
        at millis: Int64,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(root)
        binds.append(millis)
        let sql =
            TokenLineageSQL.derived(from: anchor) + """
                ,
                a AS (UPDATE access_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND grant_id IN (SELECT grant_id FROM derived) RETURNING 1),
                r AS (UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND grant_id IN (SELECT grant_id FROM derived) RETURNING 1)
                SELECT ((SELECT count(*) FROM a) + (SELECT count(*) FROM r))::INT8
                """
        var total = 0
        for _ in 0..<4 {
            let count =
                try await connection.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                    try $0.decode(Int64.self)
                }.last ?? 0
            total += Int(count)
            if count == 0 { break }
        }
        return total
    }
}
