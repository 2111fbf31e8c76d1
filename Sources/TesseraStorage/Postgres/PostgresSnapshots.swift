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
            // The store's own column list and row reader, so the export reads every column the store reads.
            var clients: [ClientRecord] = []
            let clientRows = try await connection.query(
                "SELECT \(unescaped: PostgresClientStore.columns) FROM clients ORDER BY id",
                logger: logger
            )
            for try await row in clientRows { clients.append(try PostgresClientStore.record(row)) }
            var users: [UserRecord] = []
            let userRows = try await connection.query(
                "SELECT username, password_hash, display_name, created_at FROM users ORDER BY username",
                logger: logger
            )
            for try await row in userRows { users.append(try PostgresPeopleStore.user(row)) }
            var keys: [SigningKeyRecord] = []
            let keyRows = try await connection.query(
                "SELECT kid, algorithm, private_jwk, public_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid",
                logger: logger
            )
            for try await (kid, algorithm, privateJWK, publicJWK, createdAt, retiredAt) in keyRows.decode(
                (String, String, String, String, Int64, Int64?).self
            ) {
                keys.append(
                    SigningKeyRecord(
                        kid: kid,
                        algorithm: algorithm,
                        privateJWK: privateJWK,
                        publicJWK: publicJWK,
                        createdAt: Date(millis: createdAt),
                        retiredAt: retiredAt.map(Date.init(millis:))
                    )
                )
            }
            var access: [AccessTokenRecord] = []
            let accessRows = try await connection.query(
                "SELECT \(unescaped: PostgresTokenStore.accessColumns) FROM access_tokens ORDER BY issued_at, jti",
                logger: logger
            )
            for try await row in accessRows { access.append(try PostgresTokenStore.accessRecord(row)) }
            var refresh: [RefreshTokenRecord] = []
            let refreshRows = try await connection.query(
                """
                SELECT token_hash, grant_id, client_id, subject, scope, audience, issued_at, expires_at, used_at, revoked_at, jkt, authorization_details
                FROM refresh_tokens ORDER BY issued_at, token_hash
                """,
                logger: logger
            )
            for try await row in refreshRows { refresh.append(try PostgresTokenStore.refreshRecord(row)) }
            var grants: [GNAPGrantRecord] = []
            let grantRows = try await connection.query(
                "SELECT \(unescaped: PostgresGNAPStore.grantColumns) FROM gnap_grants ORDER BY created_at, id",
                logger: logger
            )
            for try await row in grantRows { grants.append(try PostgresGNAPStore.grantRecord(row)) }
            var gnapTokens: [GNAPTokenRecord] = []
            let tokenRows = try await connection.query(
                "SELECT \(unescaped: PostgresGNAPStore.tokenColumns) FROM gnap_tokens ORDER BY created_at, manage_id",
                logger: logger
            )
            for try await row in tokenRows { gnapTokens.append(try PostgresGNAPStore.tokenRecord(row)) }
            // The rowTables as their rows (to_jsonb: text as strings, BIGINT/INTEGER as numbers, NULL as null).
            var rows: [String: [StoreSnapshot.Row]] = [:]
            for table in StoreSnapshot.rowTables {
                var tableRows: [StoreSnapshot.Row] = []
                let jsonRows = try await connection.query("SELECT to_jsonb(t)::text FROM \(unescaped: table) t", logger: logger)
                for try await json in jsonRows.decode(String.self) {
                    tableRows.append(try JSONDecoder().decode(StoreSnapshot.Row.self, from: Data(json.utf8)))
                }
                rows[table] = tableRows
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
    }

    func importSnapshot(_ snapshot: StoreSnapshot) async throws -> StoreSnapshot.Counts {
        let logger = database.logger
        return try await database.transaction(timeout: .seconds(600)) { connection in
            var counts = StoreSnapshot.Counts()
            func count(_ rows: PostgresRowSequence) async throws -> Int {
                var added = 0
                for try await _ in rows { added += 1 }
                return added
            }
            for client in snapshot.clients {
                // The store's own statement, so every column the store writes is imported.
                try await connection.run(try PostgresClientStore.writeQuery(client.record, upsert: true), logger: logger)
                counts.clients += 1
            }
            for user in snapshot.users {
                try await connection.run(PostgresPeopleStore.upsertQuery(user.record), logger: logger)
                counts.users += 1
            }
            for key in snapshot.signingKeys {
                counts.signingKeys += try await count(
                    connection.query(
                        """
                        INSERT INTO signing_keys (kid, algorithm, private_jwk, public_jwk, created_at, retired_at)
                        VALUES (\(key.kid), \(key.algorithm), \(key.privateJWK), \(key.publicJWK), \(key.createdAt), \(key.retiredAt))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                )
            }
            for token in snapshot.accessTokens {
                counts.accessTokens += try await count(
                    connection.query(
                        """
                        INSERT INTO access_tokens
                        (jti, grant_id, client_id, subject, scope, audience, issued_at, expires_at, revoked_at, parent_kind, parent_id)
                        VALUES (\(token.jti), \(token.grantID), \(token.clientID), \(token.subject), \(token.scope), \(token.audience),
                                \(token.issuedAt), \(token.expiresAt), \(token.revokedAt), \(token.parentKind), \(token.parentID))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                )
            }
            for token in snapshot.refreshTokens {
                counts.refreshTokens += try await count(
                    connection.query(
                        """
                        INSERT INTO refresh_tokens
                        (token_hash, grant_id, client_id, subject, scope, audience, issued_at, expires_at, used_at, revoked_at, jkt,
                         authorization_details)
                        VALUES (\(token.tokenHash), \(token.grantID), \(token.clientID), \(token.subject), \(token.scope),
                                \(token.audience), \(token.issuedAt), \(token.expiresAt), \(token.usedAt), \(token.revokedAt), \(token.jkt),
                                \(token.authorizationDetails))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                )
            }
            for grant in snapshot.gnapGrants {
                counts.gnapGrants += try await count(
                    connection.query(
                        """
                        INSERT INTO gnap_grants (id, state, client_key, key_thumbprint, instance_id, request, continuation_hash,
                            continue_after, subject, created_at, updated_at, expires_at)
                        VALUES (\(grant.id), \(grant.state), \(grant.clientKey), \(grant.keyThumbprint), \(grant.instanceID), \(grant.request),
                            \(grant.continuationHash), \(grant.continueAfter), \(grant.subject), \(grant.createdAt), \(grant.updatedAt),
                            \(grant.expiresAt))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                )
            }
            for token in snapshot.gnapTokens {
                counts.gnapTokens += try await count(
                    connection.query(
                        """
                        INSERT INTO gnap_tokens (manage_id, management_hash, grant_id, jti, label, access, flags, created_at, revoked_at)
                        VALUES (\(token.manageID), \(token.managementHash), \(token.grantID), \(token.jti), \(token.label), \(token.access),
                            \(token.flags), \(token.createdAt), \(token.revokedAt))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                )
            }
            for (table, rows) in snapshot.rows.sorted(by: { $0.key < $1.key }) {
                // The table name is one of rowTables (checked); jsonb_populate_record maps the columns by name.
                try StoreSnapshot.checkTable(table)
                var columns: Set<String> = []
                let columnRows = try await connection.query(
                    """
                    SELECT column_name::text FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = \(table)
                    """,
                    logger: logger
                )
                for try await column in columnRows.decode(String.self) { columns.insert(column) }
                try StoreSnapshot.checkRows(table, rows, columns: columns)
                for row in rows {
                    let json = String(decoding: try JSONEncoder().encode(row), as: UTF8.self)
                    counts.rows += try await connection.run(
                        """
                        INSERT INTO \(unescaped: table) SELECT * FROM jsonb_populate_record(NULL::\(unescaped: table), \(json)::jsonb)
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                }
            }
            return counts
        }
    }
}
