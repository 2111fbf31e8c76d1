import Foundation
import GRDB

/// ``GNAPResourceSetStore`` on SQLite.
struct SQLiteGNAPResourceSetStore: GNAPResourceSetStore {
    let writer: any DatabaseWriter

    func register(_ set: GNAPResourceSetRecord) async throws -> GNAPResourceSetRecord {
        try await writer.write { db in
            try db.insertRow(set, " ON CONFLICT (set_hash) DO NOTHING")
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
