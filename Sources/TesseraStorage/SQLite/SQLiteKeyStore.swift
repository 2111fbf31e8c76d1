import Foundation
import GRDB

/// ``KeyStore`` on SQLite.
struct SQLiteKeyStore: KeyStore {
    let writer: any DatabaseWriter

    func insert(_ key: SigningKeyRecord) async throws {
        try await writer.write { db in try db.insertRow(key) }
    }

    func insertFirst(_ key: SigningKeyRecord) async throws -> Bool {
        // One statement: SQLite takes the write lock before it reads, so of two writers (threads or
        // processes) only the first finds the table empty.
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO signing_keys (kid, algorithm, private_jwk, public_jwk, created_at, retired_at)
                    SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys)
                    """,
                arguments: [key.kid, key.algorithm, key.privateJWK, key.publicJWK, key.createdAt.millis, key.retiredAt?.millis]
            )
            return db.changesCount == 1
        }
    }

    func replacePrivateJWK(kid: String, with privateJWK: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE signing_keys SET private_jwk = ? WHERE kid = ?", arguments: [privateJWK, kid])
            return db.changesCount == 1
        }
    }

    func eraseReplacedKeyMaterial() async throws {
        try await writer.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    func all() async throws -> [SigningKeyRecord] {
        try await writer.read { db in
            try db.records(SigningKeyRecord.self, "ORDER BY created_at DESC, kid")
        }
    }

    func retireAll(except kid: String, at now: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE signing_keys SET retired_at = ? WHERE kid <> ? AND retired_at IS NULL",
                arguments: [now.millis, kid]
            )
        }
    }
}
