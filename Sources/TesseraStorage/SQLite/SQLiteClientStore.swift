import Foundation
import GRDB

/// ``ClientStore`` on SQLite.
struct SQLiteClientStore: ClientStore, ClientChangeFeed {
    let writer: any DatabaseWriter
    /// The change counter's own connection (a database file); `nil` reads it through `writer` (in memory).
    var changeCounter: SQLiteChangeCounter? = nil

    func insert(_ client: ClientRecord) async throws {
        do {
            try await writer.write { db in try db.insertRow(client) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError(.conflict, "a client with id '\(client.id)' (or a party with its GNAP key) already exists")
        }
    }

    func upsert(_ client: ClientRecord) async throws {
        do {
            try await writer.write { db in try db.insertRow(client, ClientRecord.replacing("id")) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError(.conflict, "another party already holds the GNAP key of '\(client.id)'")
        }
    }

    func client(gnapKeyThumbprint: String) async throws -> ClientRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT \(ClientRecord.columns) FROM clients WHERE gnap_key_thumbprint = ?"),
                arguments: [gnapKeyThumbprint]
            ).map(ClientRecord.init(row:))
        }
    }

    func client(id: String) async throws -> ClientRecord? {
        // A cached statement: this runs on every token request, and building the query each time showed in profiles.
        try SQLitePointRead.run(writer) { db in
            try Row.fetchOne(try db.cachedStatement(sql: Self.select), arguments: [id]).map(ClientRecord.init(row:))
        }
    }

    func clientChangeSequence() async throws -> Int64 {
        if let changeCounter { return try changeCounter.sequence() }
        return try SQLitePointRead.run(writer) { db in
            try Int64.fetchOne(try db.cachedStatement(sql: "SELECT sequence FROM client_changes WHERE id = 1")) ?? 0
        }
    }

    func all() async throws -> [ClientRecord] {
        try await writer.read { db in
            try db.records(ClientRecord.self, "ORDER BY id")
        }
    }

    func remove(id: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM clients WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    // MARK: - Initial access tokens

    func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws {
        do {
            try await writer.write { db in try db.insertRow(token) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError(.conflict, "a registration token with id '\(token.id)' already exists")
        }
    }

    func spendRegistrationToken(hash: String, at now: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql:
                    "UPDATE registration_tokens SET remaining_uses = remaining_uses - 1 WHERE token_hash = ? AND remaining_uses > 0 AND expires_at > ?",
                arguments: [hash, now.millis]
            )
            return db.changesCount == 1
        }
    }

    func registrationTokens() async throws -> [RegistrationTokenRecord] {
        try await writer.read { db in
            try db.records(RegistrationTokenRecord.self, "ORDER BY created_at, id")
        }
    }

    func removeRegistrationToken(id: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM registration_tokens WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    /// The client by id (cached: this runs on every token request).
    private static let select = "SELECT \(ClientRecord.columns) FROM clients WHERE id = ?"
}
