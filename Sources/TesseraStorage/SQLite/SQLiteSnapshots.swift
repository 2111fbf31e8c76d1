import Foundation
import GRDB

/// ``StoreSnapshotting`` on SQLite: reads in one snapshot transaction, imports in one write transaction.
struct SQLiteSnapshots: StoreSnapshotting {
    let writer: any DatabaseWriter
    let clients: SQLiteClientStore
    let keys: SQLiteKeyStore

    func exportSnapshot() async throws -> StoreSnapshot {
        let clients = try await clients.all()
        let keys = try await keys.all()
        let (access, refresh, grants, gnapTokens, users, rows) = try await writer.read { db in
            // The same row readers the stores use, so an export reads exactly what the stores read.
            let access = try Row.fetchAll(db, sql: "SELECT * FROM access_tokens ORDER BY issued_at, jti").map(SQLiteTokenStore.accessRecord)
            let refresh = try Row.fetchAll(db, sql: "SELECT * FROM refresh_tokens ORDER BY issued_at, token_hash")
                .map(SQLiteTokenStore.refreshRecord)
            let grants = try Row.fetchAll(db, sql: "SELECT * FROM gnap_grants ORDER BY created_at, id").map(SQLiteGNAPStore.grantRecord)
            let gnapTokens = try Row.fetchAll(db, sql: "SELECT * FROM gnap_tokens ORDER BY created_at, manage_id")
                .map(SQLiteGNAPStore.tokenRecord)
            let users = try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY username").map(SQLitePeopleStore.user)
            var rows: [String: [StoreSnapshot.Row]] = [:]
            for table in StoreSnapshot.rowTables {
                rows[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { try Self.snapshotRow($0, of: table) }
            }
            return (access, refresh, grants, gnapTokens, users, rows)
        }
        var snapshot = StoreSnapshot(
            clients: clients,
            signingKeys: keys,
            accessTokens: access,
            refreshTokens: refresh,
            gnapGrants: grants,
            gnapTokens: gnapTokens,
            users: users
        )
        snapshot.rows = rows
        return snapshot
    }

    /// A row as carried: SQLite's integers and text (the ``StoreSnapshot/rowTables`` hold nothing else).
    /// - Parameters:
    ///   - row: a row of `table`.
    ///   - table: the table, for the error.
    /// - Returns: the row as carried.
    /// - Throws: ``StorageError`` `corrupt` for a real or a blob, which the export would otherwise lose.
    private static func snapshotRow(_ row: Row, of table: String) throws -> StoreSnapshot.Row {
        var values: StoreSnapshot.Row = [:]
        for column in row.columnNames {
            let value: DatabaseValue = row[column]
            switch value.storage {
            case .null: values[column] = .null
            case .int64(let integer): values[column] = .integer(integer)
            case .string(let text): values[column] = .text(text)
            case .double, .blob: throw StorageError(.corrupt, "\(table).\(column) holds a value that is not text or an integer")
            }
        }
        return values
    }

    func importSnapshot(_ snapshot: StoreSnapshot) async throws -> StoreSnapshot.Counts {
        try await writer.write { db in
            var counts = StoreSnapshot.Counts()
            for client in snapshot.clients {
                // The store's own row mapping (ClientRow), so every column the store writes is imported.
                do {
                    try ClientRow(client.record).save(db)
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw StorageError(.conflict, "another party in this database already holds the GNAP key of '\(client.id)'")
                }
                counts.clients += db.changesCount
            }
            for user in snapshot.users {
                try SQLitePeopleStore.upsert(user.record, in: db)
                counts.users += db.changesCount
            }
            for key in snapshot.signingKeys {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO signing_keys (kid, algorithm, private_jwk, public_jwk, created_at, retired_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [key.kid, key.algorithm, key.privateJWK, key.publicJWK, key.createdAt, key.retiredAt]
                )
                counts.signingKeys += db.changesCount
            }
            for token in snapshot.accessTokens {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO access_tokens
                        (jti, grant_id, client_id, subject, scope, audience, issued_at, expires_at, revoked_at, parent_kind, parent_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        token.jti, token.grantID, token.clientID, token.subject, token.scope, token.audience.joined(separator: "\n"),
                        token.issuedAt, token.expiresAt, token.revokedAt, token.parentKind, token.parentID,
                    ]
                )
                counts.accessTokens += db.changesCount
            }
            for token in snapshot.refreshTokens {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO refresh_tokens
                        (token_hash, grant_id, client_id, subject, scope, audience, issued_at, expires_at, used_at, revoked_at, jkt,
                         authorization_details)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        token.tokenHash, token.grantID, token.clientID, token.subject, token.scope, token.audience.joined(separator: "\n"),
                        token.issuedAt, token.expiresAt, token.usedAt, token.revokedAt, token.jkt, token.authorizationDetails,
                    ]
                )
                counts.refreshTokens += db.changesCount
            }
            for grant in snapshot.gnapGrants {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO gnap_grants (id, state, client_key, key_thumbprint, instance_id, request, continuation_hash,
                            continue_after, subject, created_at, updated_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        grant.id, grant.state, grant.clientKey, grant.keyThumbprint, grant.instanceID, grant.request,
                        grant.continuationHash,
                        grant.continueAfter, grant.subject, grant.createdAt, grant.updatedAt, grant.expiresAt,
                    ]
                )
                counts.gnapGrants += db.changesCount
            }
            for token in snapshot.gnapTokens {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO gnap_tokens (manage_id, management_hash, grant_id, jti, label, access, flags, created_at, revoked_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        token.manageID, token.managementHash, token.grantID, token.jti, token.label, token.access,
                        token.flags.joined(separator: " "), token.createdAt, token.revokedAt,
                    ]
                )
                counts.gnapTokens += db.changesCount
            }
            for (table, rows) in snapshot.rows.sorted(by: { $0.key < $1.key }) {
                // The table name is one of rowTables (checked), the column names are the table's own (checked).
                try StoreSnapshot.checkTable(table)
                let columns = Set(try db.columns(in: table).map(\.name))
                try StoreSnapshot.checkRows(table, rows, columns: columns)
                for row in rows {
                    let names = row.keys.sorted()
                    let values = names.map { name -> (any DatabaseValueConvertible)? in
                        switch row[name] {
                        case .integer(let integer): integer
                        case .text(let text): text
                        case .null, nil: nil
                        }
                    }
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO \(table) (\(names.joined(separator: ", "))) "
                            + "VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))",
                        arguments: StatementArguments(values)
                    )
                    counts.rows += db.changesCount
                }
            }
            return counts
        }
    }
}
