import Foundation
import GRDB

/// ``GNAPResourceSetStore`` on SQLite.
struct SQLiteGNAPResourceSetStore: GNAPResourceSetStore {
    let writer: any DatabaseWriter

    func register(_ set: GNAPResourceSetRecord) async throws -> GNAPResourceSetRecord {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO gnap_resource_sets (reference, resource_server_id, set_hash, access, created_at)
                    VALUES (?, ?, ?, ?, ?) ON CONFLICT (set_hash) DO NOTHING
                    """,
                arguments: [set.reference, set.resourceServerID, set.setHash, set.access, set.createdAt.millis]
            )
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT \(GNAPResourceSetRecord.columns) FROM gnap_resource_sets WHERE set_hash = ?",
                    arguments: [set.setHash]
                )
            else {
                throw StorageError(.unavailable, "resource set vanished after insert")
            }
            return try GNAPResourceSetRecord(row: row)
        }
    }

    func resourceSet(reference: String) async throws -> GNAPResourceSetRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(GNAPResourceSetRecord.columns) FROM gnap_resource_sets WHERE reference = ?",
                arguments: [reference]
            ).map(GNAPResourceSetRecord.init(row:))
        }
    }
}
