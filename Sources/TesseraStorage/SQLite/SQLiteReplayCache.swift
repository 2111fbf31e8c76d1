import Foundation
import GRDB

/// ``ReplayCache`` on SQLite: insert-if-absent under the (namespace, value) primary key.
struct SQLiteReplayCache: ReplayCache {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher

    func insertIfAbsent(namespace: String, value: String, expiresAt: Date, now: Date) async throws -> Bool {
        try await batcher.write { db in
            // An expired entry no longer protects anything; drop it so the value can be used again.
            // Cached statements: this runs for every signed request and every DPoP proof.
            try db.cachedStatement(sql: "DELETE FROM replay_cache WHERE namespace = ? AND value = ? AND expires_at <= ?")
                .execute(arguments: [namespace, value, now.millis])
            try db.cachedStatement(
                sql: "INSERT INTO replay_cache (namespace, value, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
            ).execute(arguments: [namespace, value, expiresAt.millis])
            return db.changesCount == 1
        }
    }
}
