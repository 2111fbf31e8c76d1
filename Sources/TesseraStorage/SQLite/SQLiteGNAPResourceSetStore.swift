import Foundation
import GRDB

/// ``GNAPResourceSetStore`` on SQLite.
struct SQLiteGNAPResourceSetStore: GNAPResourceSetStore {
    let writer: any DatabaseWriter

    func register(_ set: GNAPResourceSetRecord) async throws -> GNAPResourceSetRecord {
        try await writer.write { db in
            try db.insertRow(set, " ON CONFLICT (set_hash) DO NOTHING")
            guard let registered = try db.record(GNAPResourceSetRecord.self, "WHERE set_hash = ?", [set.setHash]) else {
                throw StorageError(.unavailable, "resource set vanished after insert")
            }
            return registered
        }
    }

    func resourceSet(reference: String) async throws -> GNAPResourceSetRecord? {
        try await writer.read { db in
            try db.record(GNAPResourceSetRecord.self, "WHERE reference = ?", [reference])
        }
    }
}
