import Foundation
import GRDB

/// ``PeopleStore`` on SQLite.
struct SQLitePeopleStore: PeopleStore {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher

    func upsertUser(_ user: UserRecord) async throws {
        try await batcher.write { db in try Self.upsert(user, in: db) }
    }

    /// The one SQLite write of a ``UserRecord``: the store and the snapshot import both use it.
    /// - Parameters:
    ///   - user: the user to add or replace.
    ///   - db: an open write transaction.
    /// - Throws: a database error.
    static func upsert(_ user: UserRecord, in db: Database) throws {
        try db.insertRow(user, UserRecord.replacingCredentials)
    }

    func user(username: String) async throws -> UserRecord? {
        try await writer.read { db in
            try db.record(UserRecord.self, "WHERE username = ?", [username])
        }
    }

    func users() async throws -> [UserRecord] {
        try await writer.read { db in
            try db.records(UserRecord.self, "ORDER BY username")
        }
    }

    func removeUser(username: String) async throws -> Bool {
        try await batcher.write { db in
            try db.execute(sql: "DELETE FROM users WHERE username = ?", arguments: [username])
            let removed = db.changesCount == 1
            try db.execute(sql: "DELETE FROM sessions WHERE username = ?", arguments: [username])
            return removed
        }
    }

    func createSession(_ session: SessionRecord) async throws {
        try await batcher.write { db in try db.insertRow(session) }
    }

    func createAnonymousSession(_ session: SessionRecord, limit: Int, at now: Date) async throws {
        try await batcher.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE username IS NULL AND expires_at <= ?", arguments: [now.millis])
            let live = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions WHERE username IS NULL") ?? 0
            if live >= limit {
                try db.execute(
                    sql: """
                        DELETE FROM sessions WHERE id_hash IN (
                            SELECT id_hash FROM sessions WHERE username IS NULL ORDER BY created_at, id_hash LIMIT ?)
                        """,
                    arguments: [live - limit + 1]
                )
            }
            try db.execute(
                sql: "INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, NULL, ?, ?, ?)",
                arguments: [session.idHash, session.csrfToken, session.createdAt.millis, session.expiresAt.millis]
            )
        }
    }

    func anonymousSessionCount(at now: Date) async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions WHERE username IS NULL AND expires_at > ?", arguments: [now.millis])
                ?? 0
        }
    }

    func session(idHash: String, at now: Date) async throws -> SessionRecord? {
        try await writer.read { db in
            try db.record(SessionRecord.self, "WHERE id_hash = ? AND expires_at > ?", [idHash, now.millis])
        }
    }

    func deleteSession(idHash: String) async throws {
        try await batcher.write { db in try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [idHash]) }
    }

    func deleteExpiredSessions(before cutoff: Date) async throws -> Int {
        try await batcher.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [cutoff.millis])
            return db.changesCount
        }
    }
}
