import Foundation
import PostgresNIO

/// ``ReplayCache`` on PostgreSQL: one `INSERT … ON CONFLICT` statement under the (namespace, value)
/// primary key. Two instances inserting the same value at once serialize on that key: exactly one
/// gets a row back. An expired entry is taken over by the same statement, so a value may be used
/// again once its protection has lapsed (as on SQLite).
struct PostgresReplayCache: ReplayCache {
    let database: PostgresDatabase

    func insertIfAbsent(namespace: String, value: String, expiresAt: Date, now: Date) async throws -> Bool {
        let logger = database.logger
        return try await database.withConnection { connection in
            try await Self.spend(SingleUseSpend(namespace: namespace, value: value, expiresAt: expiresAt, now: now), connection, logger)
        }
    }

    /// The insert-or-take-over statement, on `connection` (its own transaction, or the caller's).
    /// - Parameters:
    ///   - spend: The value, its namespace and expiry.
    ///   - connection: The connection to run it on.
    ///   - logger: The database's logger.
    /// - Returns: `true` when the value was new (or its old entry had expired).
    /// - Throws: What PostgreSQL throws.
    static func spend(_ spend: SingleUseSpend, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        let (namespace, value) = (spend.namespace, spend.value)
        let (expiry, current) = (spend.expiresAt.millis, spend.now.millis)
        return try await connection.run(
            """
            INSERT INTO replay_cache (namespace, value, expires_at) VALUES (\(namespace), \(value), \(expiry))
            ON CONFLICT (namespace, value) DO UPDATE SET expires_at = EXCLUDED.expires_at
            WHERE replay_cache.expires_at <= \(current)
            RETURNING 1
            """,
            logger: logger
        ) > 0
    }
}
