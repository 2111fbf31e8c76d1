import Foundation
import GRDB

/// ``ClientMetadataStore`` on SQLite.
struct SQLiteClientMetadataStore: ClientMetadataStore {
    let writer: any DatabaseWriter

    func observe(
        clientID: String,
        keysFingerprint: String,
        redirectURIsFingerprint: String,
        at now: Date
    ) async throws
        -> MetadataClientObservation
    {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO metadata_clients (client_id, first_seen_at, last_fetched_at, keys_fingerprint, redirect_uris_fingerprint)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (client_id) DO UPDATE SET
                        last_fetched_at = excluded.last_fetched_at,
                        keys_changed_at = CASE WHEN keys_fingerprint <> excluded.keys_fingerprint
                            THEN excluded.last_fetched_at ELSE keys_changed_at END,
                        redirect_uris_changed_at = CASE WHEN redirect_uris_fingerprint <> excluded.redirect_uris_fingerprint
                            THEN excluded.last_fetched_at ELSE redirect_uris_changed_at END,
                        keys_fingerprint = excluded.keys_fingerprint,
                        redirect_uris_fingerprint = excluded.redirect_uris_fingerprint
                    """,
                arguments: [clientID, now.millis, now.millis, keysFingerprint, redirectURIsFingerprint]
            )
            guard let row = try Row.fetchOne(db, sql: Self.select, arguments: [clientID]) else {
                throw StorageError(.unavailable, "metadata client row vanished after upsert")
            }
            return try MetadataClientObservation(row: row)
        }
    }

    func observation(clientID: String) async throws -> MetadataClientObservation? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: Self.select, arguments: [clientID]).map(MetadataClientObservation.init(row:))
        }
    }

    func observeKeySet(clientID: String, fingerprint: String, at now: Date) async throws -> MetadataClientObservation? {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE metadata_clients SET
                        keys_changed_at = CASE WHEN key_set_fingerprint <> ? THEN ? ELSE keys_changed_at END,
                        key_set_fingerprint = ?
                    WHERE client_id = ?
                    """,
                arguments: [fingerprint, now.millis, fingerprint, clientID]
            )
            return try Row.fetchOne(db, sql: Self.select, arguments: [clientID]).map(MetadataClientObservation.init(row:))
        }
    }

    private static let select = "SELECT \(MetadataClientObservation.columns) FROM metadata_clients WHERE client_id = ?"
}

/// ``ClientChallengeStore`` on SQLite: consumption is one conditional UPDATE, so only one retry wins.
struct SQLiteClientChallengeStore: ClientChallengeStore {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher

    func insert(_ challenge: ClientChallengeRecord) async throws {
        try await batcher.write { db in try db.insertRow(challenge) }
    }

    func challenge(sessionHash: String) async throws -> ClientChallengeRecord? {
        try await writer.read { db in try db.record(ClientChallengeRecord.self, "WHERE session_hash = ?", [sessionHash]) }
    }

    func consume(sessionHash: String, clientID: String, at now: Date) async throws -> ClientChallengeConsumption {
        try await batcher.write { db in
            try db.execute(
                sql: "UPDATE client_challenges SET used_at = ? WHERE session_hash = ? AND client_id = ? AND used_at IS NULL",
                arguments: [now.millis, sessionHash, clientID]
            )
            let consumed = db.changesCount == 1
            guard
                let record = try db.record(ClientChallengeRecord.self, "WHERE session_hash = ?", [sessionHash])
            else { return .unknown }
            if consumed { return .consumed(record) }
            return record.clientID == clientID ? .alreadyUsed(record) : .issuedToAnotherClient
        }
    }
}
