import Foundation
import PostgresNIO
import TesseraProtocol

/// ``ClientStore`` on PostgreSQL.
struct PostgresClientStore: ClientStore {
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
        try await database.withConnection { connection in
            let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM clients WHERE id = \(id)", logger: database.logger)
            for try await row in rows { return try Self.record(row) }
            return nil
        }
    }

    func all() async throws -> [ClientRecord] {
        try await database.withConnection { connection in
            let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM clients ORDER BY id", logger: database.logger)
            var records: [ClientRecord] = []
            for try await row in rows { records.append(try Self.record(row)) }
            return records
        }
    }

    func remove(id: String) async throws -> Bool {
        try await database.withConnection { connection in
            let rows = try await connection.query("DELETE FROM clients WHERE id = \(id) RETURNING id", logger: database.logger)
            var removed = false
            for try await _ in rows { removed = true }
            return removed
        }
    }

    // MARK: - Rows

    /// A constant column list (no input reaches it).
    private static let columns = "id, auth_method, secret_hash, jwks, jwks_uri, grant_types, scopes, created_at, redirect_uris, require_par, introspection_audiences"

    private func write(_ client: ClientRecord, upsert: Bool) async throws {
        let grantTypes = client.grantTypes.map(\.rawValue)
        let createdAt = client.createdAt.millis
        let query: PostgresQuery =
            upsert
            ? """
            INSERT INTO clients (id, auth_method, secret_hash, jwks, jwks_uri, grant_types, scopes, created_at, redirect_uris, require_par,
                                 introspection_audiences)
            VALUES (\(client.id), \(client.authMethod.rawValue), \(client.secretHash), \(client.jwks), \(client.jwksURI),
                    \(grantTypes), \(client.scopes), \(createdAt), \(client.redirectURIs), \(client.requirePushedAuthorizationRequests),
                    \(client.introspectionAudiences))
            ON CONFLICT (id) DO UPDATE SET auth_method = EXCLUDED.auth_method, secret_hash = EXCLUDED.secret_hash,
                jwks = EXCLUDED.jwks, jwks_uri = EXCLUDED.jwks_uri, grant_types = EXCLUDED.grant_types,
                scopes = EXCLUDED.scopes, created_at = EXCLUDED.created_at,
                redirect_uris = EXCLUDED.redirect_uris, require_par = EXCLUDED.require_par,
                introspection_audiences = EXCLUDED.introspection_audiences
            """
            : """
            INSERT INTO clients (id, auth_method, secret_hash, jwks, jwks_uri, grant_types, scopes, created_at, redirect_uris, require_par,
                                 introspection_audiences)
            VALUES (\(client.id), \(client.authMethod.rawValue), \(client.secretHash), \(client.jwks), \(client.jwksURI),
                    \(grantTypes), \(client.scopes), \(createdAt), \(client.redirectURIs), \(client.requirePushedAuthorizationRequests),
                    \(client.introspectionAudiences))
            """
        try await database.withConnection { connection in
            try await connection.run(query, logger: database.logger)
        }
    }

    private static func record(_ row: PostgresRow) throws -> ClientRecord {
        let (id, authMethod, secretHash, jwks, jwksURI, grantTypes, scopes, createdAt, redirectURIs, requirePAR, introspectionAudiences) = try row.decode(
            (String, String, String?, String?, String?, [String], [String], Int64, [String], Bool, [String]).self
        )
        var record = ClientRecord(
            id: id,
            authMethod: ClientAuthenticationMethod(rawValue: authMethod),
            secretHash: secretHash,
            jwks: jwks,
            jwksURI: jwksURI,
            grantTypes: grantTypes.map { GrantType(rawValue: $0) },
            scopes: scopes,
            createdAt: Date(millis: createdAt)
        )
        record.redirectURIs = redirectURIs
        record.requirePushedAuthorizationRequests = requirePAR
        record.introspectionAudiences = introspectionAudiences
        return record
    }
}
