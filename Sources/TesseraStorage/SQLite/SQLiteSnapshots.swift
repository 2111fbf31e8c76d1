import Foundation
import GRDB

/// ``StoreSnapshotting`` on SQLite: reads in one snapshot transaction, imports in one write transaction.
struct SQLiteSnapshots: StoreSnapshotting {
    let writer: any DatabaseWriter
    let clients: SQLiteClientStore

    func exportSnapshot() async throws -> StoreSnapshot {
        let clients = try await clients.all()
        let (users, tables) = try await writer.read { db in
            // Users by the store's own row reader; every other carried table as its rows (StoreSnapshotRows).
            let users = try db.records(UserRecord.self, "ORDER BY username")
            var tables: [String: [StoreSnapshot.Row]] = [:]
            for (table, order) in StoreSnapshot.recordTables.map({ ($0.name, " ORDER BY " + $0.order) })
                + StoreSnapshot.rowTables.map({ ($0, "") })
            {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table)\(order)").map { try Self.snapshotRow($0, of: table) }
            }
            return (users, tables)
        }
        return try StoreSnapshot(tables: tables, clients: clients, users: users)
    }

    /// A row as carried: SQLite's integers and text, and the list columns split (the carried tables hold nothing else).
    /// - Parameters:
    ///   - row: a row of `table`.
    ///   - table: the table, for the error.
    /// - Returns: the row as carried.
    /// - Throws: ``StorageError`` `corrupt` for a real or a blob, which the export would otherwise lose.
    private static func snapshotRow(_ row: Row, of table: String) throws -> StoreSnapshot.Row {
        var values: StoreSnapshot.Row = [:]
        let lists = StoreSnapshot.recordTables.contains { $0.name == table } ? StoreSnapshot.listSeparators : [:]
        for column in row.columnNames {
            let value: DatabaseValue = row[column]
            switch value.storage {
            case .null: values[column] = .null
            case .int64(let integer): values[column] = .integer(integer)
            case .string(let text):
                values[column] = lists[column].map { .list(text.split(separator: $0).map(String.init)) } ?? .text(text)
            case .double, .blob: throw StorageError(.corrupt, "\(table).\(column) holds a value that is not text or an integer")
            }
        }
        return values
    }

    func importSnapshot(_ snapshot: StoreSnapshot) async throws -> StoreSnapshot.Counts {
        let tables = try snapshot.tableRows()
        return try await writer.write { db in
            var counts = StoreSnapshot.Counts()
            for client in snapshot.clients {
                // The store's own row mapping (ClientRecord's), so every column the store writes is imported.
                // A client already here is kept as it is: the database's own row is newer than the file's (a rotated
                // secret, a narrowed registration stay so; review round 13, L7).
                do {
                    try db.insertRow(client.record, StoredRecordConflict.keepingPresent("id"))
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw StorageError(.conflict, "another party in this database already holds the GNAP key of '\(client.id)'")
                }
                counts.clients += db.changesCount
            }
            for user in snapshot.users {
                // Kept as this database has them, and a person removed here is not brought back (L7, J8).
                let removed = try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM removed_users WHERE username = ?)",
                    arguments: [user.record.username]
                )
                guard removed != true else { continue }
                try db.insertRow(user.record, StoredRecordConflict.keepingPresent("username"))
                counts.users += db.changesCount
            }
            for (table, rows) in tables {
                // The table name is one this build carries (tableRows), the column names are the table's own (checked).
                let columns = Set(try db.columns(in: table).map(\.name))
                try StoreSnapshot.checkRows(table, rows, columns: columns)
                for row in rows {
                    let names = row.keys.sorted()
                    let values = names.map { name -> (any DatabaseValueConvertible)? in
                        switch row[name] {
                        case .integer(let integer): integer
                        case .text(let text): text
                        case .list(let list): list.joined(separator: StoreSnapshot.listSeparators[name] ?? "\n")
                        case .null, nil: nil
                        }
                    }
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO \(table) (\(names.joined(separator: ", "))) "
                            + "VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))",
                        arguments: StatementArguments(values)
                    )
                    StoreSnapshot.count(db.changesCount, of: table, in: &counts)
                }
            }
            return counts
        }
    }
}
