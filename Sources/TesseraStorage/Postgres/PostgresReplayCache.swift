import Foundation
import PostgresNIO

/// ``ReplayCache`` on PostgreSQL: one `INSERT … ON CONFLICT` statement under the (namespace, value)
/// primary key. Two instances inserting the same value at once serialize on that key: exactly one
/// gets a row back. An expired entry is taken over by the same statement, so a value may be used
/// again once its protection has lapsed (as on SQLite).
struct PostgresReplayCache: ReplayCache {
    let database: PostgresDatabase

    func insertIfAbsent(namespace: String, value: String, expiresAt: Date, now: Date) async throws -> Bool {
        let (expiry, current) = (expiresAt.millis, now.millis)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                INSERT INTO replay_cache (namespace, value, expires_at) VALUES (\(namespace), \(value), \(expiry))
                ON CONFLICT (namespace, value) DO UPDATE SET expires_at = EXCLUDED.expires_at
                WHERE replay_cache.expires_at <= \(current)
                RETURNING 1
                """,
                logger: database.logger
            )
            var inserted = false
            for try await _ in rows { inserted = true }
            return inserted
        }
    }
}
