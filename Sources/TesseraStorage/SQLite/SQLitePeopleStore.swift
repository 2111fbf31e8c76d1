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
        try db.execute(sql: UserRecord.endingSessionsOfChangedPassword, arguments: [user.username, user.username, user.passwordHash])
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

    func removeUser(username: String, at now: Date) async throws -> Bool {
        try await batcher.write { db in
            try db.execute(sql: "DELETE FROM users WHERE username = ?", arguments: [username])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM sessions WHERE username = ?", arguments: [username])
            try db.execute(
                sql: "INSERT OR REPLACE INTO removed_users (username, removed_at) VALUES (?, ?)",
                arguments: [username, now.millis]
            )
            let consents = try String.fetchAll(
                db,
                sql: "SELECT id FROM consents WHERE subject = ? AND withdrawn_at IS NULL",
                arguments: [username]
            )
            for id in consents { _ = try SQLiteAuthorizationCodeStore.withdraw(id, subject: username, at: now, db) }
            let live = "subject = ? AND state IN ('approved', 'pending')"
            let grants = try String.fetchAll(db, sql: "SELECT id FROM gnap_grants WHERE \(live)", arguments: [username])
            try db.execute(
                sql: "UPDATE gnap_grants SET state = 'finalized', continuation_hash = NULL, updated_at = ? WHERE \(live)",
                arguments: [now.millis, username]
            )
            for id in grants { try SQLiteGNAPStore.revokeFinalized(id, at: now, db) }
            return true
        }
    }

    func removedAt(username: String) async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT removed_at FROM removed_users WHERE username = ?", arguments: [username]).map(
                Date.init(millis:)
            )
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
