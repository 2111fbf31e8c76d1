import Foundation
import PostgresNIO
import TesseraProtocol

/// ``StoreSnapshotting`` on PostgreSQL: export reads in one REPEATABLE READ transaction (a consistent
/// view); import writes in one transaction.
struct PostgresSnapshots: StoreSnapshotting {
    let database: PostgresDatabase

    func exportSnapshot() async throws -> StoreSnapshot {
        let logger = database.logger
        return try await database.transaction(timeout: .seconds(600)) { connection in
            try await connection.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            // Clients and users by the store's own column list and row reader, so the export reads every column the store reads.
            let clients = try await connection.records(ClientRecord.self, "ORDER BY id", logger: logger)
            let users = try await connection.records(UserRecord.self, "ORDER BY username", logger: logger)
            // Every other carried table as its rows (to_jsonb: text as strings, BIGINT as numbers, TEXT[] as arrays).
            var tables: [String: [StoreSnapshot.Row]] = [:]
            for (table, order) in StoreSnapshot.recordTables.map({ ($0.name, " ORDER BY " + $0.order) })
                + StoreSnapshot.rowTables.map({ ($0, "") })
            {
                tables[table] = try await connection.rows(
                    "SELECT to_jsonb(t)::text FROM \(unescaped: table) t\(unescaped: order)",
                    logger: logger
                ) { try JSONDecoder().decode(StoreSnapshot.Row.self, from: Data(try $0.decode(String.self).utf8)) }
            }
            return try StoreSnapshot(tables: tables, clients: clients, users: users)
        }
    }

    func importSnapshot(_ snapshot: StoreSnapshot) async throws -> StoreSnapshot.Counts {
        let logger = database.logger
        let tables = try snapshot.tableRows()
        return try await database.transaction(timeout: .seconds(600)) { connection in
            var counts = StoreSnapshot.Counts()
            for client in snapshot.clients {
                // The store's own statement (ClientRecord's), so every column the store writes is imported. A client
                // already here is kept as it is: the database's own row is newer than the file's (review round 13, L7).
                let clause = StoredRecordConflict.keepingPresent("id") + " RETURNING id"
                counts.clients += try await connection.run(try client.record.insertQuery(clause), logger: logger)
            }
            for user in snapshot.users {
                // Kept as this database has them, and a person removed here is not brought back (L7, J8).
                let name = user.record.username
                let removed = try await connection.run("SELECT 1 FROM removed_users WHERE username = \(name)", logger: logger)
                guard removed == 0 else { continue }
                let clause = StoredRecordConflict.keepingPresent("username") + " RETURNING username"
                counts.users += try await connection.run(try user.record.insertQuery(clause), logger: logger)
            }
            for (table, rows) in tables {
                // The table name is one this build carries (tableRows); jsonb_populate_record maps the columns by name.
                let columns = try await connection.rows(
                    """
                    SELECT column_name::text FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = \(table)
                    """,
                    logger: logger
                ) { try $0.decode(String.self) }
                try StoreSnapshot.checkRows(table, rows, columns: Set(columns))
                for row in rows {
                    let json = String(decoding: try JSONEncoder().encode(row), as: UTF8.self)
                    let added = try await connection.run(
                        """
                        INSERT INTO \(unescaped: table) SELECT * FROM jsonb_populate_record(NULL::\(unescaped: table), \(json)::jsonb)
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                    StoreSnapshot.count(added, of: table, in: &counts)
                }
            }
            return counts
        }
    }
}
