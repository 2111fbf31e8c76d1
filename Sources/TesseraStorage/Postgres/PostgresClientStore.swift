import Foundation
import PostgresNIO
import TesseraProtocol

/// ``ClientStore`` on PostgreSQL.
struct PostgresClientStore: ClientStore, ClientChangeFeed {
    let database: PostgresDatabase

    func insert(_ client: ClientRecord) async throws {
        do {
            try await write(client, upsert: false)
        } catch let error as StorageError where error.code == .conflict {
            throw StorageError(.conflict, "a client with id '\(client.id)' already exists")
        }
    }

    func upsert(_ client: ClientRecord) async throws {
        try await write(client, upsert: true)
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
        try await database.rows("SELECT \(unescaped: ClientRecord.columns) FROM clients ORDER BY id", ClientRecord.init(postgres:))
    }

    func remove(id: String) async throws -> Bool {
        try await database.run("DELETE FROM clients WHERE id = \(id) RETURNING id") > 0
    }

    // MARK: - Rows

    private func write(_ client: ClientRecord, upsert: Bool) async throws {
        try await database.run(try Self.writeQuery(client, upsert: upsert))
    }

    /// The one PostgreSQL write of a ``ClientRecord``: the store and the snapshot import both use it.
    /// - Parameters:
    ///   - client: the client to write, every column.
    ///   - upsert: replace a client with the same id instead of failing.
    /// - Returns: the statement.
    /// - Throws: an encoding error of the GNAP registration (not expected).
    static func writeQuery(_ client: ClientRecord, upsert: Bool) throws -> PostgresQuery {
        let grantTypes = client.grantTypes.map(\.rawValue)
        let createdAt = client.createdAt.millis
        let (registrationMetadata, registrationTokenHash) = (client.registration?.metadata, client.registration?.accessTokenHash)
        let (gnapRegistration, gnapKeyThumbprint) = (try client.gnap?.storedJSON(), client.gnap?.keyThumbprint)
        let query: PostgresQuery =
            upsert
            ? """
            INSERT INTO clients (id, auth_method, secret_hash, jwks, jwks_uri, grant_types, scopes, created_at, redirect_uris, require_par,
                                 introspection_audiences, registration_metadata, registration_token_hash, gnap_registration, gnap_key_thumbprint, client_name,
                                 require_resource)
            VALUES (\(client.id), \(client.authMethod.rawValue), \(client.secretHash), \(client.jwks), \(client.jwksURI),
                    \(grantTypes), \(client.scopes), \(createdAt), \(client.redirectURIs), \(client.requirePushedAuthorizationRequests),
                    \(client.introspectionAudiences), \(registrationMetadata), \(registrationTokenHash), \(gnapRegistration),
                    \(gnapKeyThumbprint), \(client.clientName), \(client.requireResource))
            ON CONFLICT (id) DO UPDATE SET auth_method = EXCLUDED.auth_method, secret_hash = EXCLUDED.secret_hash,
                jwks = EXCLUDED.jwks, jwks_uri = EXCLUDED.jwks_uri, grant_types = EXCLUDED.grant_types,
                scopes = EXCLUDED.scopes, created_at = EXCLUDED.created_at,
                redirect_uris = EXCLUDED.redirect_uris, require_par = EXCLUDED.require_par,
                introspection_audiences = EXCLUDED.introspection_audiences,
                registration_metadata = EXCLUDED.registration_metadata, registration_token_hash = EXCLUDED.registration_token_hash,
                gnap_registration = EXCLUDED.gnap_registration, gnap_key_thumbprint = EXCLUDED.gnap_key_thumbprint,
                client_name = EXCLUDED.client_name, require_resource = EXCLUDED.require_resource
            """
            : """
            INSERT INTO clients (id, auth_method, secret_hash, jwks, jwks_uri, grant_types, scopes, created_at, redirect_uris, require_par,
                                 introspection_audiences, registration_metadata, registration_token_hash, gnap_registration, gnap_key_thumbprint, client_name,
                                 require_resource)
            VALUES (\(client.id), \(client.authMethod.rawValue), \(client.secretHash), \(client.jwks), \(client.jwksURI),
                    \(grantTypes), \(client.scopes), \(createdAt), \(client.redirectURIs), \(client.requirePushedAuthorizationRequests),
                    \(client.introspectionAudiences), \(registrationMetadata), \(registrationTokenHash), \(gnapRegistration),
                    \(gnapKeyThumbprint), \(client.clientName), \(client.requireResource))
            """
        return query
    }

    // MARK: - Initial access tokens

    func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws {
        let (createdAt, expiresAt, uses) = (token.createdAt.millis, token.expiresAt.millis, Int32(token.remainingUses))
        do {
            try await database.run(
                """
                INSERT INTO registration_tokens (id, token_hash, label, created_at, expires_at, remaining_uses)
                VALUES (\(token.id), \(token.tokenHash), \(token.label), \(createdAt), \(expiresAt), \(uses))
                """
            )
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
        try await database.rows(
            "SELECT \(unescaped: RegistrationTokenRecord.columns) FROM registration_tokens ORDER BY created_at, id",
            RegistrationTokenRecord.init(postgres:)
        )
    }

    func removeRegistrationToken(id: String) async throws -> Bool {
        try await database.run("DELETE FROM registration_tokens WHERE id = \(id) RETURNING id") > 0
    }
}
