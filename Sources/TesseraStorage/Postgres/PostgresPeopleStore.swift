import Foundation
import PostgresNIO

/// ``PeopleStore`` on PostgreSQL.
struct PostgresPeopleStore: PeopleStore {
    let database: PostgresDatabase

    func upsertUser(_ user: UserRecord) async throws {
        let (logger, username, hash) = (database.logger, user.username, user.passwordHash)
        try await database.transaction { connection in
            try await connection.run(
                "DELETE FROM sessions WHERE username = \(username) AND EXISTS (SELECT 1 FROM users WHERE username = \(username) AND password_hash <> \(hash))",
                logger: logger
            )
            try await connection.run(try user.insertQuery(UserRecord.replacingCredentials), logger: logger)
        }
    }

    func user(username: String) async throws -> UserRecord? {
        try await database.record(UserRecord.self, "WHERE username = \(username)")
    }

    func users() async throws -> [UserRecord] {
        try await database.records(UserRecord.self, "ORDER BY username")
    }

    func removeUser(username: String, at now: Date) async throws -> Bool {
        let (logger, millis) = (database.logger, now.millis)
        return try await database.transaction { connection in
            let removed = try await connection.run("DELETE FROM users WHERE username = \(username) RETURNING username", logger: logger)
            guard removed == 1 else { return false }
            try await connection.run("DELETE FROM sessions WHERE username = \(username)", logger: logger)
            try await connection.run(
                """
                INSERT INTO removed_users (username, removed_at) VALUES (\(username), \(millis))
                ON CONFLICT (username) DO UPDATE SET removed_at = EXCLUDED.removed_at
                """,
                logger: logger
            )
            let consents = try await connection.rows(
                "SELECT id FROM consents WHERE subject = \(username) AND withdrawn_at IS NULL",
                logger: logger
            ) { try $0.decode(String.self) }
            for id in consents {
                _ = try await PostgresAuthorizationCodeStore.withdraw(id, subject: username, at: millis, connection, logger)
            }
            let grants = try await connection.rows(
                """
                UPDATE gnap_grants SET state = 'finalized', continuation_hash = NULL, updated_at = \(millis)
                WHERE subject = \(username) AND state IN ('approved', 'pending') RETURNING id
                """,
                logger: logger
            ) { try $0.decode(String.self) }
            for id in grants { try await PostgresGNAPStore.revokeFinalized(id, at: millis, connection, logger) }
            return true
        }
    }

    func removedAt(username: String) async throws -> Date? {
        try await database.first("SELECT removed_at FROM removed_users WHERE username = \(username)") {
            Date(millis: try $0.decode(Int64.self))
        }
    }

    func createSession(_ session: SessionRecord) async throws {
        try await database.run(try session.insertQuery())
    }

    func createAnonymousSession(_ session: SessionRecord, limit: Int, at now: Date) async throws {
        let (createdAt, expiresAt, current) = (session.createdAt.millis, session.expiresAt.millis, now.millis)
        let logger = database.logger
        try await database.transaction { connection in
            try await connection.run("DELETE FROM sessions WHERE username IS NULL AND expires_at <= \(current)", logger: logger)
            let counts = try await connection.rows("SELECT COUNT(*) FROM sessions WHERE username IS NULL", logger: logger) {
                try $0.decode(Int64.self)
            }
            let live = Int(counts.last ?? 0)
            if live >= limit {
                let excess = live - limit + 1
                try await connection.run(
                    """
                    DELETE FROM sessions WHERE id_hash IN (
                        SELECT id_hash FROM sessions WHERE username IS NULL ORDER BY created_at, id_hash LIMIT \(excess))
                    """,
                    logger: logger
                )
            }
            try await connection.run(
                """
                INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at)
                VALUES (\(session.idHash), NULL, \(session.csrfToken), \(createdAt), \(expiresAt))
                """,
                logger: logger
            )
        }
    }

    func anonymousSessionCount(at now: Date) async throws -> Int {
        let current = now.millis
        let counts = try await database.rows("SELECT COUNT(*) FROM sessions WHERE username IS NULL AND expires_at > \(current)") {
            try $0.decode(Int64.self)
        }
        return Int(counts.last ?? 0)
    }

    func session(idHash: String, at now: Date) async throws -> SessionRecord? {
        let millis = now.millis
        return try await database.record(SessionRecord.self, "WHERE id_hash = \(idHash) AND expires_at > \(millis)")
    }

    func deleteSession(idHash: String) async throws {
        try await database.run("DELETE FROM sessions WHERE id_hash = \(idHash)")
    }

    func deleteExpiredSessions(before cutoff: Date) async throws -> Int {
        let millis = cutoff.millis
        return try await database.run("DELETE FROM sessions WHERE expires_at < \(millis) RETURNING id_hash")
    }
}
