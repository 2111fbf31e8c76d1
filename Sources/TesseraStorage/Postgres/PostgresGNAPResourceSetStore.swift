import Foundation
import PostgresNIO

/// ``GNAPResourceSetStore`` on PostgreSQL: `ON CONFLICT (set_hash)` makes two instances registering
/// the same set at once agree on one reference.
struct PostgresGNAPResourceSetStore: GNAPResourceSetStore {
    let database: PostgresDatabase

    func register(_ set: GNAPResourceSetRecord) async throws -> GNAPResourceSetRecord {
        try await database.withConnection { connection in
            try await connection.run(try set.insertQuery(" ON CONFLICT (set_hash) DO NOTHING"), logger: database.logger)
            let rows = try await connection.records(GNAPResourceSetRecord.self, "WHERE set_hash = \(set.setHash)", logger: database.logger)
            guard let registered = rows.first else { throw StorageError(.unavailable, "resource set vanished after insert") }
            return registered
        }
    }

    func resourceSet(reference: String) async throws -> GNAPResourceSetRecord? {
        try await database.record(GNAPResourceSetRecord.self, "WHERE reference = \(reference)")
    }
}
