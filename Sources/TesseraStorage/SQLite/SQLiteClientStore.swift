import Foundation
import GRDB
import TesseraProtocol

/// ``ClientStore`` on SQLite.
struct SQLiteClientStore: ClientStore, ClientChangeFeed {
    let writer: any DatabaseWriter
    /// The change counter's own connection (a database file); `nil` reads it through `writer` (in memory).
    var changeCounter: SQLiteChangeCounter? = nil

    func insert(_ client: ClientRecord) async throws {
        do {
            let row = try ClientRow(client)
            try await writer.write { db in try row.insert(db) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError(.conflict, "a client with id '\(client.id)' (or a party with its GNAP key) already exists")
        }
    }

    func upsert(_ client: ClientRecord) async throws {
        let row = try ClientRow(client)
        do {
            try await writer.write { db in try row.save(db) }
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
            try Row.fetchAll(db, sql: "SELECT \(ClientRecord.columns) FROM clients ORDER BY id").map(ClientRecord.init(row:))
        }
    }

    func remove(id: String) async throws -> Bool {
        try await writer.write { db in try ClientRow.deleteOne(db, key: id) }
    }

    // MARK: - Initial access tokens

    func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws {
        do {
            try await writer.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO registration_tokens (id, token_hash, label, created_at, expires_at, remaining_uses) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        token.id, token.tokenHash, token.label, token.createdAt.millis, token.expiresAt.millis, token.remainingUses,
                    ]
                )
            }
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
            try Row.fetchAll(db, sql: "SELECT \(RegistrationTokenRecord.columns) FROM registration_tokens ORDER BY created_at, id").map(
                RegistrationTokenRecord.init(row:)
            )
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

/// The one SQLite write of a ``ClientRecord``: the store and the snapshot import both write through it (reads go
/// through ``ClientRecord/init(row:)``, as on PostgreSQL).
struct ClientRow: Encodable, PersistableRecord {
    static let databaseTableName = "clients"

    var id: String
    var authMethod: String
    var secretHash: String?
    var jwks: String?
    var jwksURI: String?
    var grantTypes: String
    var scopes: String
    var createdAt: Int64
    /// Space-separated (a redirect URI holds no space).
    var redirectURIs: String
    var requirePAR: Bool
    /// Space-separated (an audience holds no space).
    var introspectionAudiences: String
    /// RFC 7591 dynamic registrations only (migration 13).
    var registrationMetadata: String?
    var registrationTokenHash: String?
    /// GNAP instance / resource-server registration as JSON, and its key thumbprint (migration 14).
    var gnapRegistration: String?
    var gnapKeyThumbprint: String?
    /// The operator-given name (migration 16).
    var clientName: String?
    /// RFC 8707 `resource` required of this client (migration 17).
    var requireResource: Bool

    enum CodingKeys: String, CodingKey {
        case id
        case authMethod = "auth_method"
        case secretHash = "secret_hash"
        case jwks
        case jwksURI = "jwks_uri"
        case grantTypes = "grant_types"
        case scopes
        case createdAt = "created_at"
        case redirectURIs = "redirect_uris"
        case requirePAR = "require_par"
        case introspectionAudiences = "introspection_audiences"
        case registrationMetadata = "registration_metadata"
        case registrationTokenHash = "registration_token_hash"
        case gnapRegistration = "gnap_registration"
        case gnapKeyThumbprint = "gnap_key_thumbprint"
        case clientName = "client_name"
        case requireResource = "require_resource"
    }

    init(_ client: ClientRecord) throws {
        id = client.id
        authMethod = client.authMethod.rawValue
        secretHash = client.secretHash
        jwks = client.jwks
        jwksURI = client.jwksURI
        grantTypes = client.grantTypes.map(\.rawValue).joined(separator: " ")
        scopes = client.scopes.joined(separator: " ")
        createdAt = client.createdAt.millis
        redirectURIs = client.redirectURIs.joined(separator: " ")
        requirePAR = client.requirePushedAuthorizationRequests
        introspectionAudiences = client.introspectionAudiences.joined(separator: " ")
        registrationMetadata = client.registration?.metadata
        registrationTokenHash = client.registration?.accessTokenHash
        gnapRegistration = try client.gnap?.storedJSON()
        gnapKeyThumbprint = client.gnap?.keyThumbprint
        clientName = client.clientName
        requireResource = client.requireResource
    }
}
