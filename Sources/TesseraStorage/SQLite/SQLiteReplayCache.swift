import Foundation
import GRDB

/// ``ReplayCache`` on SQLite: insert-if-absent under the (namespace, value) primary key.
struct SQLiteReplayCache: ReplayCache {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher

    func insertIfAbsent(namespace: String, value: String, expiresAt: Date, now: Date) async throws -> Bool {
        try await batcher.write { db in
            try Self.spend(SingleUseSpend(namespace: namespace, value: value, expiresAt: expiresAt, now: now), db)
        }
    }

    /// Inserts the value unless it is already there and has not expired, inside the caller's transaction.
    /// - Parameters:
    ///   - spend: The value, its namespace and expiry.
    ///   - db: The writer's connection, in a transaction.
    /// - Returns: `true` when the value was new (or its old entry had expired).
    /// - Throws: What SQLite throws.
    static func spend(_ spend: SingleUseSpend, _ db: Database) throws -> Bool {
        // One statement (issue 22: it was a DELETE of an expired entry, then the INSERT): a new value is inserted, an
        // expired entry — which no longer protects anything — is taken over, a live one is left alone (no change).
        // Cached: this runs for every signed request, every DPoP proof and every redeemed grant.
        try db.cachedStatement(
            sql: """
                INSERT INTO replay_cache (namespace, value, expires_at) VALUES (?, ?, ?)
                ON CONFLICT (namespace, value) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= ?
                """
        ).run([.text(spend.namespace), .text(spend.value), .integer(spend.expiresAt.millis), .integer(spend.now.millis)])
        return db.changesCount == 1
    }
}
