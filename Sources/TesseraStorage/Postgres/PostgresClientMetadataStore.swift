import Foundation
import PostgresNIO

/// ``ClientMetadataStore`` on PostgreSQL: one upsert statement, so instances fetching the same
/// document at once agree on the first sighting.
struct PostgresClientMetadataStore: ClientMetadataStore {
    let database: PostgresDatabase

    func observe(
        clientID: String,
        keysFingerprint: String,
        redirectURIsFingerprint: String,
        at now: Date
    ) async throws
        -> MetadataClientObservation
    {
        let millis = now.millis
        let observed = try await database.first(
            """
            INSERT INTO metadata_clients AS m (client_id, first_seen_at, last_fetched_at, keys_fingerprint, redirect_uris_fingerprint)
                VALUES (\(clientID), \(millis), \(millis), \(keysFingerprint), \(redirectURIsFingerprint))
                ON CONFLICT (client_id) DO UPDATE SET
                    last_fetched_at = EXCLUDED.last_fetched_at,
                    keys_changed_at = CASE WHEN m.keys_fingerprint <> EXCLUDED.keys_fingerprint
                        THEN EXCLUDED.last_fetched_at ELSE m.keys_changed_at END,
                    redirect_uris_changed_at = CASE WHEN m.redirect_uris_fingerprint <> EXCLUDED.redirect_uris_fingerprint
                        THEN EXCLUDED.last_fetched_at ELSE m.redirect_uris_changed_at END,
                    keys_fingerprint = EXCLUDED.keys_fingerprint,
                    redirect_uris_fingerprint = EXCLUDED.redirect_uris_fingerprint
            RETURNING \(unescaped: MetadataClientObservation.columns)
            """,
            MetadataClientObservation.init(postgres:)
        )
        guard let observed else { throw StorageError(.unavailable, "metadata client upsert returned no row") }
        return observed
    }

    func observation(clientID: String) async throws -> MetadataClientObservation? {
        try await database.first(
            "SELECT \(unescaped: MetadataClientObservation.columns) FROM metadata_clients WHERE client_id = \(clientID)",
            MetadataClientObservation.init(postgres:)
        )
    }

    func observeKeySet(clientID: String, fingerprint: String, at now: Date) async throws -> MetadataClientObservation? {
        let millis = now.millis
        return try await database.first(
            """
            UPDATE metadata_clients SET
                keys_changed_at = CASE WHEN key_set_fingerprint <> \(fingerprint) THEN \(millis) ELSE keys_changed_at END,
                key_set_fingerprint = \(fingerprint)
            WHERE client_id = \(clientID)
            RETURNING \(unescaped: MetadataClientObservation.columns)
            """,
            MetadataClientObservation.init(postgres:)
        )
    }
}

/// ``ClientChallengeStore`` on PostgreSQL: consumption is one conditional UPDATE on the row, so of
/// two instances handling retries with one session, exactly one sees it unused.
struct PostgresClientChallengeStore: ClientChallengeStore {
    let database: PostgresDatabase

    func insert(_ challenge: ClientChallengeRecord) async throws {
        try await database.run(try challenge.insertQuery())
    }

    func challenge(sessionHash: String) async throws -> ClientChallengeRecord? {
        try await database.record(ClientChallengeRecord.self, "WHERE session_hash = \(sessionHash)")
    }

    func consume(sessionHash: String, clientID: String, at now: Date) async throws -> ClientChallengeConsumption {
        let millis = now.millis
        return try await database.withConnection { connection in
            let updated = try await connection.rows(
                """
                UPDATE client_challenges SET used_at = \(millis)
                WHERE session_hash = \(sessionHash) AND client_id = \(clientID) AND used_at IS NULL
                RETURNING \(unescaped: ClientChallengeRecord.columns)
                """,
                logger: database.logger,
                ClientChallengeRecord.init(postgres:)
            )
            if let record = updated.first { return .consumed(record) }
            let existing = try await connection.records(
                ClientChallengeRecord.self,
                "WHERE session_hash = \(sessionHash)",
                logger: database.logger
            )
            guard let record = existing.first else { return .unknown }
            return record.clientID == clientID ? .alreadyUsed(record) : .issuedToAnotherClient
        }
    }
}
