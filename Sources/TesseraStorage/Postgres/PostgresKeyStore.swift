import Foundation
import PostgresNIO

/// ``KeyStore`` on PostgreSQL.
struct PostgresKeyStore: KeyStore {
    let database: PostgresDatabase

    func insert(_ key: SigningKeyRecord) async throws {
        try await database.run(try key.insertQuery())
    }

    func insertFirst(_ key: SigningKeyRecord) async throws -> Bool {
        let (createdAt, retiredAt) = (key.createdAt.millis, key.retiredAt?.millis)
        // Under READ COMMITTED two transactions could both see the table empty: the table lock
        // (which conflicts with itself, not with readers) makes the check and the insert one step.
        return try await database.transaction { connection in
            try await connection.run("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE", logger: database.logger)
            return try await connection.run(
                """
                INSERT INTO signing_keys (kid, algorithm, private_jwk, public_jwk, created_at, retired_at)
                SELECT \(key.kid), \(key.algorithm), \(key.privateJWK), \(key.publicJWK), \(createdAt), \(retiredAt)
                WHERE NOT EXISTS (SELECT 1 FROM signing_keys)
                RETURNING 1
                """,
                logger: database.logger
            ) == 1
        }
    }

    func replacePrivateJWK(kid: String, with privateJWK: String) async throws -> Bool {
        try await database.run("UPDATE signing_keys SET private_jwk = \(privateJWK) WHERE kid = \(kid) RETURNING 1") == 1
    }

    func eraseReplacedKeyMaterial() async throws {
        try await database.run("VACUUM FULL signing_keys")
    }

    func all() async throws -> [SigningKeyRecord] {
        try await database.records(SigningKeyRecord.self, "ORDER BY created_at DESC, kid")
    }

    func retireAll(except kid: String, at now: Date) async throws {
        let millis = now.millis
        try await database.run("UPDATE signing_keys SET retired_at = \(millis) WHERE kid <> \(kid) AND retired_at IS NULL")
    }
}
