import Foundation
import PostgresNIO

/// ``ClientStore`` on PostgreSQL.
struct PostgresClientStore: ClientStore, ClientChangeFeed {
    let database: PostgresDatabase

    func insert(_ client: ClientRecord) async throws {
        do {
            try await database.run(try client.insertQuery())
        } catch let error as StorageError where error.code == .conflict {
            throw StorageError(.conflict, "a client with id '\(client.id)' already exists")
        }
    }

    func upsert(_ client: ClientRecord) async throws {
        try await database.run(try client.insertQuery(ClientRecord.replacing("id")))
    }

    func client(id: String) async throws -> ClientRecord? {
        try await database.first("SELECT \(unescaped: ClientRecord.columns) FROM clients WHERE id = \(id)", ClientRecord.init(postgres:))
    }

    func client(gnapKeyThumbprint: String) async throws -> ClientRecord? {
        try await database.first(
            "SELECT \(unescaped: ClientRecord.columns) FROM clients WHERE gnap_key_thumbprint = \(gnapKeyThumbprint)",
            ClientRecord.init(postgres:)
        )
    }

    func clientChangeSequence() async throws -> Int64 {
        try await database.first("SELECT sequence FROM client_changes WHERE id = 1") { try $0.decode(Int64.self) } ?? 0
    }

    func all() async throws -> [ClientRecord] {
        try await database.records(ClientRecord.self, "ORDER BY id")
    }

    func remove(id: String) async throws -> Bool {
        try await database.run("DELETE FROM clients WHERE id = \(id) RETURNING id") > 0
    }

    // MARK: - Initial access tokens

    func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws {
        do {
            try await database.run(try token.insertQuery())
        } catch let error as StorageError where error.code == .conflict {
            throw StorageError(.conflict, "a registration token with id '\(token.id)' already exists")
        }
    }

    func spendRegistrationToken(hash: String, at now: Date) async throws -> Bool {
        let millis = now.millis
        return try await database.run(
            """
            UPDATE registration_tokens SET remaining_uses = remaining_uses - 1
            WHERE token_hash = \(hash) AND remaining_uses > 0 AND expires_at > \(millis) RETURNING id
            """
        ) > 0
    }

    func registrationTokens() async throws -> [RegistrationTokenRecord] {
        try await database.records(RegistrationTokenRecord.self, "ORDER BY created_at, id")
    }

    func removeRegistrationToken(id: String) async throws -> Bool {
        try await database.run("DELETE FROM registration_tokens WHERE id = \(id) RETURNING id") > 0
    }
}
