import Foundation
import GRDB
import TesseraProtocol

/// ``ClientStore`` on SQLite.
struct SQLiteClientStore: ClientStore {
    let writer: any DatabaseWriter

    func insert(_ client: ClientRecord) async throws {
        do {
            try await writer.write { db in try ClientRow(client).insert(db) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError(.conflict, "a client with id '\(client.id)' already exists")
        }
    }

    func upsert(_ client: ClientRecord) async throws {
        try await writer.write { db in try ClientRow(client).save(db) }
    }

    func client(id: String) async throws -> ClientRecord? {
        // A cached statement: this runs on every token request, and building the query each time showed in profiles.
        try await writer.read { db in
            try ClientRow.fetchOne(try db.cachedStatement(sql: "SELECT * FROM clients WHERE id = ?"), arguments: [id])
        }?.record()
    }

    func all() async throws -> [ClientRecord] {
        try await writer.read { db in try ClientRow.order(Column("id")).fetchAll(db) }.map { try $0.record() }
    }

    func remove(id: String) async throws -> Bool {
        try await writer.write { db in try ClientRow.deleteOne(db, key: id) }
    }
}

private struct ClientRow: Codable, FetchableRecord, PersistableRecord {
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
    }

    init(_ client: ClientRecord) {
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
    }

    func record() throws -> ClientRecord {
        var record = ClientRecord(
            id: id,
            authMethod: ClientAuthenticationMethod(rawValue: authMethod),
            secretHash: secretHash,
            jwks: jwks,
            jwksURI: jwksURI,
            grantTypes: grantTypes.split(separator: " ").map { GrantType(rawValue: String($0)) },
            scopes: scopes.split(separator: " ").map(String.init),
            createdAt: Date(millis: createdAt)
        )
        record.redirectURIs = redirectURIs.split(separator: " ").map(String.init)
        record.requirePushedAuthorizationRequests = requirePAR
        record.introspectionAudiences = introspectionAudiences.split(separator: " ").map(String.init)
        return record
    }
}
