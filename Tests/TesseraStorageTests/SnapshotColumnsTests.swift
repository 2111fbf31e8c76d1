import Foundation
import GRDB
import PostgresNIO
import Testing

@testable import TesseraStorage

/// "Nothing lost" for `tessera export` / `import`, derived from the schema itself: every column of every
/// table the snapshot carries is filled on the source, and must arrive with the same value on the target,
/// for all four backend pairs. A column added by a future migration is empty in the fixture (the test
/// fails until it is filled) and then must survive the move (the test fails until the snapshot carries it).
@Suite struct SnapshotColumnsTests {
    typealias F = StoreFixtures

    /// The tables a snapshot carries, each with its primary-key column.
    static let carried: [String: String] = [
        "clients": "id", "signing_keys": "kid", "access_tokens": "jti", "refresh_tokens": "token_hash",
        "gnap_grants": "id", "gnap_tokens": "manage_id", "users": "username",
        "consents": "id", "consent_grants": "consent_id", "registration_tokens": "id", "gnap_resource_sets": "reference",
        "removed_users": "username",
    ]
    /// Tables deliberately not carried, with why. A new table must be added to one list or the other.
    static let notCarried: [String: String] = [
        "replay_cache": "protects minutes; a move is done with the servers stopped",
        "sessions": "sign-in cookies; people sign in again",
        "client_challenges": "minutes-lived nonces",
        "authorization_requests": "minutes-lived PAR / authorization requests",
        "authorization_codes": "minutes-lived codes",
        "gnap_interactions": "minutes-lived interactions",
        "metadata_clients": "a cache of fetched client metadata, refetched on use",
        "client_changes": "a change counter the target's own triggers keep (migration 15): the import bumps it",
    ]

    /// Writes one row into every carried table with every column set to a non-default value.
    static func fillEveryColumn(_ stores: Stores) async throws {
        var client = F.client("c1")
        client.redirectURIs = ["https://c.example/cb", "https://c.example/cb2"]
        client.requirePushedAuthorizationRequests = true
        client.introspectionAudiences = ["https://rs.example", "https://rs2.example"]
        client.registration = ClientRegistration(metadata: #"{"client_name":"C"}"#, accessTokenHash: "rat-hash")
        client.gnap = F.gnap("t-c1", instance: true, resourceServer: true)
        client.clientName = "Client One"
        client.requireResource = true
        try await stores.clients.insert(client)

        var key = F.key("k1", created: 1)
        key.publicJWK = #"{"kty":"EC"}"#
        key.retiredAt = Date(timeIntervalSince1970: 3)
        try await stores.keys.insert(key)

        var first = F.issuance(jti: "a1", grant: "g1", refreshHash: "r1")
        first.accessToken.parent = TokenParent(.exchange, "a0")
        first.refreshToken?.jkt = "jkt-1"
        first.refreshToken?.authorizationDetails = #"[{"type":"customer_information"}]"#
        try await stores.tokens.record(first)
        var replacement = F.issuance(jti: "a2", grant: "g1")
        replacement.accessToken.parent = TokenParent(.exchange, "a1")
        _ = try await stores.tokens.rotateRefreshToken(hash: "r1", at: F.now, replacement: replacement)  // r1.used_at
        try await stores.tokens.revokeGrant(id: "g1", at: F.now)  // revoked_at of a1, a2, r1

        let grant = GNAPGrantRecord(
            id: "gnap-1",
            state: .approved,
            clientKey: #"{"jwk":{}}"#,
            keyThumbprint: "tp",
            instanceID: "inst",
            request: #"{"access_token":{}}"#,
            continuationHash: "cont",
            continueAfter: F.now,
            subject: "alice",
            createdAt: F.now,
            updatedAt: F.now.addingTimeInterval(1),
            expiresAt: F.now.addingTimeInterval(600),
            authenticatedAt: F.now.addingTimeInterval(-60),
            approvedAt: F.now.addingTimeInterval(-50)
        )
        let token = GNAPTokenRecord(
            manageID: "m1",
            managementHash: "mh",
            grantID: "gnap-1",
            jti: "gnap-at-1",
            label: "l",
            access: #"["photos"]"#,
            flags: ["bearer"],
            createdAt: F.now
        )
        var gnapAccess = F.issuance(jti: "gnap-at-1", grant: "gnap-1").accessToken
        gnapAccess.parent = TokenParent(.exchange, "a1")
        try await stores.gnap.createGrant(grant, issued: [GNAPIssuedToken(token: token, accessToken: gnapAccess)])
        _ = try await stores.gnap.revokeToken(manageID: "m1", at: F.now)
        _ = try await stores.tokens.revokeAccessToken(jti: "gnap-at-1", at: F.now)

        try await stores.people.upsertUser(UserRecord(username: "alice", passwordHash: "ph", displayName: "Alice", createdAt: F.now))
        try await stores.people.upsertUser(UserRecord(username: "zed", passwordHash: "ph", displayName: nil, createdAt: F.now))
        _ = try await stores.people.removeUser(username: "zed", at: F.now)  // removed_users

        let consent = ConsentRecord(
            id: "consent-1",
            subject: "alice",
            clientID: "c1",
            scope: ["openid", "read"],
            resources: ["https://rs.example"],
            authorizationDetails: #"[{"type":"customer_information"}]"#,
            createdAt: F.now
        )
        try await stores.authorizationCodes.createConsent(consent)
        _ = try await stores.authorizationCodes.createCode(
            AuthorizationCodeRecord(codeHash: "code-1", clientID: "c1", grantID: "g1", payload: "{}", createdAt: F.now, expiresAt: F.now),
            underConsent: "consent-1"
        )
        _ = try await stores.authorizationCodes.withdrawConsent(id: "consent-1", subject: "alice", at: F.now)  // withdrawn_at
        try await stores.clients.insertRegistrationToken(
            RegistrationTokenRecord(
                id: "iat-1",
                tokenHash: "iat-hash",
                label: "ci",
                createdAt: F.now,
                expiresAt: F.now.addingTimeInterval(3600),
                remainingUses: 3
            )
        )
        _ = try await stores.resourceSets.register(
            GNAPResourceSetRecord(
                reference: "rs-ref",
                resourceServerID: "c1",
                setHash: "set-hash",
                access: #"["photos"]"#,
                createdAt: F.now
            )
        )
    }

    @Test(arguments: [(StoreBackend.sqlite, StoreBackend.postgres), (.postgres, .sqlite), (.sqlite, .sqlite), (.postgres, .postgres)])
    func everyColumnOfEveryCarriedTableArrives(_ source: StoreBackend, _ target: StoreBackend) async throws {
        let (exported, before) = try await TesseraDatabase.withConnection(url: try source.freshURL()) { connection in
            try await Self.fillEveryColumn(connection.stores)
            return (try await connection.snapshots.exportSnapshot(), try await RawTables.read(connection))
        }
        #expect(Set(before.keys) == Set(Self.carried.keys).union(Self.notCarried.keys), "a table is neither carried nor excused")
        for (table, _) in Self.carried {
            let rows = before[table] ?? []
            #expect(!rows.isEmpty, "the fixture leaves \(table) empty")
            for row in rows {
                for (column, value) in row where RawTables.isDefault(value) {
                    Issue.record("the fixture leaves \(table).\(column) at its default: fill it")
                }
            }
        }
        // Through JSON, as the CLI does.
        let file = try JSONDecoder().decode(StoreSnapshot.self, from: try JSONEncoder().encode(exported))

        let after = try await TesseraDatabase.withConnection(url: try target.freshURL()) { connection in
            _ = try await connection.snapshots.importSnapshot(file)
            return try await RawTables.read(connection)
        }
        var lost: [String] = []
        for (table, key) in Self.carried.sorted(by: { $0.key < $1.key }) {
            let arrived = Dictionary((after[table] ?? []).map { ($0[key] ?? nil, $0) }, uniquingKeysWith: { first, _ in first })
            for row in before[table] ?? [] {
                let id = row[key] ?? nil
                guard let target = arrived[id] else {
                    lost.append("\(table) row \(id ?? "nil") is missing")
                    continue
                }
                for (column, value) in row.sorted(by: { $0.key < $1.key }) where (target[column] ?? nil) != value {
                    lost.append("\(table).\(column) of \(id ?? "nil"): \(value ?? "NULL") became \((target[column] ?? nil) ?? "NULL")")
                }
            }
        }
        #expect(lost.isEmpty, "\(source) → \(target) lost:\n\(lost.joined(separator: "\n"))")
    }
}

/// Every table's rows as column → text, read straight from the database (not through the stores), in one
/// form for both backends: lists as space-separated text, booleans as 0/1, instants as their integers.
enum RawTables {
    typealias Row = [String: String?]

    static func isDefault(_ value: String?) -> Bool {
        guard let value else { return true }
        return value.isEmpty || value == "0" || value == "[]" || value == "{}"
    }

    static func read(_ connection: StoreConnection) async throws -> [String: [Row]] {
        if let sqlite = connection.snapshots as? SQLiteSnapshots { return try await read(sqlite.writer) }
        if let postgres = connection.snapshots as? PostgresSnapshots { return try await read(postgres.database) }
        throw StorageError(.unavailable, "unknown backend")
    }

    private static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }

    private static func read(_ writer: any DatabaseWriter) async throws -> [String: [Row]] {
        try await writer.read { db in
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'"
            )
            var result: [String: [Row]] = [:]
            for table in tables {
                result[table] = try GRDB.Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { row in
                    var values: Row = [:]
                    for column in row.columnNames {
                        let value: DatabaseValue = row[column]
                        switch value.storage {
                        case .null: values[column] = .some(nil)
                        case .int64(let number): values[column] = "\(number)"
                        case .double(let number): values[column] = "\(number)"
                        case .string(let text): values[column] = normalized(text)
                        case .blob(let data): values[column] = data.base64EncodedString()
                        }
                    }
                    return values
                }
            }
            return result
        }
    }

    private static func read(_ database: TesseraStorage.PostgresDatabase) async throws -> [String: [Row]] {
        try await database.withConnection { connection in
            let logger = database.logger
            var tables: [String] = []
            for try await name in try await connection.query(
                """
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'tessera_schema_migrations'
                """,
                logger: logger
            ).decode(String.self) {
                tables.append(name)
            }
            var result: [String: [Row]] = [:]
            for table in tables {
                var expressions: [String] = []
                for try await (column, type) in try await connection.query(
                    """
                    SELECT column_name::text, data_type::text FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = \(table)
                    """,
                    logger: logger
                ).decode((String, String).self) {
                    let value: String
                    switch type {
                    case "ARRAY": value = "array_to_string(\"\(column)\", ' ')"
                    case "boolean": value = "CASE WHEN \"\(column)\" THEN '1' ELSE '0' END"
                    default: value = "\"\(column)\"::text"
                    }
                    expressions.append("'\(column)', \(value)")
                }
                var rows: [Row] = []
                let query = "SELECT jsonb_build_object(\(expressions.joined(separator: ", ")))::text FROM \"\(table)\""
                for try await json in try await connection.query(PostgresQuery(unsafeSQL: query), logger: logger).decode(String.self) {
                    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
                    var values: Row = [:]
                    for (column, value) in object { values[column] = .some((value as? String).map(normalized)) }
                    rows.append(values)
                }
                result[table] = rows
            }
            return result
        }
    }
}
