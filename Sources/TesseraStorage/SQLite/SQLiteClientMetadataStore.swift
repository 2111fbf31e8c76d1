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
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM metadata_clients WHERE client_id = ?", arguments: [clientID]) else {
                throw StorageError(.unavailable, "metadata client row vanished after upsert")
            }
            return Self.observation(row)
        }
    }

    func observation(clientID: String) async throws -> MetadataClientObservation? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM metadata_clients WHERE client_id = ?", arguments: [clientID]).map(Self.observation)
        }
    }

    static func observation(_ row: Row) -> MetadataClientObservation {
        MetadataClientObservation(
            clientID: row["client_id"],
            firstSeenAt: Date(millis: row["first_seen_at"]),
            lastFetchedAt: Date(millis: row["last_fetched_at"]),
            keysFingerprint: row["keys_fingerprint"],
            redirectURIsFingerprint: row["redirect_uris_fingerprint"],
            keysChangedAt: (row["keys_changed_at"] as Int64?).map(Date.init(millis:)),
            redirectURIsChangedAt: (row["redirect_uris_changed_at"] as Int64?).map(Date.init(millis:))
        )
    }
}

/// ``ClientChallengeStore`` on SQLite: consumption is one conditional UPDATE, so only one retry wins.
struct SQLiteClientChallengeStore: ClientChallengeStore {
    let writer: any DatabaseWriter
    let batcher: SQLiteWriteBatcher

    func insert(_ challenge: ClientChallengeRecord) async throws {
        try await batcher.write { db in
            try db.execute(
                sql: """
                    INSERT INTO client_challenges (session_hash, client_id, key_thumbprint, request_digest, requirement, issued_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    challenge.sessionHash, challenge.clientID, challenge.keyThumbprint, challenge.requestDigest, challenge.requirement,
                    challenge.issuedAt.millis, challenge.expiresAt.millis,
                ]
            )
        }
    }

    func consume(sessionHash: String, clientID: String, at now: Date) async throws -> ClientChallengeConsumption {
        try await batcher.write { db in
            try db.execute(
                sql: "UPDATE client_challenges SET used_at = ? WHERE session_hash = ? AND client_id = ? AND used_at IS NULL",
                arguments: [now.millis, sessionHash, clientID]
            )
            let consumed = db.changesCount == 1
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM client_challenges WHERE session_hash = ?", arguments: [sessionHash])
            else { return .unknown }
            let record = Self.record(row)
            if consumed { return .consumed(record) }
            return record.clientID == clientID ? .alreadyUsed(record) : .issuedToAnotherClient
        }
    }

    static func record(_ row: Row) -> ClientChallengeRecord {
        ClientChallengeRecord(
            sessionHash: row["session_hash"],
            clientID: row["client_id"],
            keyThumbprint: row["key_thumbprint"],
            requestDigest: row["request_digest"],
            requirement: row["requirement"],
            issuedAt: Date(millis: row["issued_at"]),
            expiresAt: Date(millis: row["expires_at"]),
            usedAt: (row["used_at"] as Int64?).map(Date.init(millis:))
        )
    }
}
