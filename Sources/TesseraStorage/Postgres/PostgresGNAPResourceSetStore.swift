import Foundation
import PostgresNIO

/// ``GNAPResourceSetStore`` on PostgreSQL: `ON CONFLICT (set_hash)` makes two instances registering
/// the same set at once agree on one reference.
struct PostgresGNAPResourceSetStore: GNAPResourceSetStore {
    let database: PostgresDatabase
    static let columns = "reference, resource_server_id, set_hash, access, created_at"

    func register(_ set: GNAPResourceSetRecord) async throws -> GNAPResourceSetRecord {
        let createdAt = set.createdAt.millis
        return try await database.withConnection { connection in
            try await connection.run(
                """
                INSERT INTO gnap_resource_sets (reference, resource_server_id, set_hash, access, created_at)
                VALUES (\(set.reference), \(set.resourceServerID), \(set.setHash), \(set.access), \(createdAt))
                ON CONFLICT (set_hash) DO NOTHING
                """,
                logger: database.logger
            )
            let rows = try await connection.rows(
                "SELECT \(unescaped: Self.columns) FROM gnap_resource_sets WHERE set_hash = \(set.setHash)",
                logger: database.logger,
                Self.record
            )
            guard let registered = rows.first else { throw StorageError(.unavailable, "resource set vanished after insert") }
            return registered
        }
    }

    func resourceSet(reference: String) async throws -> GNAPResourceSetRecord? {
        try await database.first("SELECT \(unescaped: Self.columns) FROM gnap_resource_sets WHERE reference = \(reference)", Self.record)
    }

    static func record(_ row: PostgresRow) throws -> GNAPResourceSetRecord {
        let (reference, serverID, setHash, access, createdAt) = try row.decode((String, String, String, String, Int64).self)
        return GNAPResourceSetRecord(
            reference: reference,
            resourceServerID: serverID,
            setHash: setHash,
            access: access,
            createdAt: Date(millis: createdAt)
        )
    }
}
