import Foundation
import TesseraProtocol
import TesseraStorage
import Testing

/// Dynamic registrations (RFC 7591/7592) and initial access tokens in the client store, and
/// revoking a client's tokens, on SQLite and PostgreSQL.
@Suite struct ClientRegistrationStoreConformanceTests {
    static let now = StoreFixtures.now

    @Test(arguments: StoreBackend.allCases)
    func aSelfRegisteredClientKeepsItsMarkerMetadataAndTokenHash(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            var client = StoreFixtures.client("dyn-1")
            client.redirectURIs = ["http://127.0.0.1/callback"]
            client.registration = ClientRegistration(
                metadata: #"{"application_type":"native","client_name":"Agent"}"#,
                accessTokenHash: "hash-1"
            )
            try await stores.clients.insert(client)
            #expect(try await stores.clients.client(id: "dyn-1") == client)
            // An operator's client carries no marker.
            try await stores.clients.insert(StoreFixtures.client("operator"))
            #expect(try await stores.clients.client(id: "operator")?.registration == nil)

            client.registration?.accessTokenHash = "hash-2"
            client.scopes = ["a"]
            try await stores.clients.upsert(client)
            #expect(try await stores.clients.client(id: "dyn-1") == client)
            #expect(try await stores.clients.all().filter { $0.registration != nil }.map(\.id) == ["dyn-1"])
        }
    }

    /// Issue 21: the name an operator registers a client under (migration 16) is stored and updated.
    @Test(arguments: StoreBackend.allCases)
    func anOperatorsClientNameIsKept(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            var client = StoreFixtures.client("named")
            client.clientName = "Budget Planner ✓"
            try await stores.clients.insert(client)
            #expect(try await stores.clients.client(id: "named")?.clientName == "Budget Planner ✓")
            client.clientName = nil
            try await stores.clients.upsert(client)
            #expect(try await stores.clients.client(id: "named") == client)
            #expect(try await stores.clients.all().first { $0.id == "named" }?.clientName == nil)
        }
    }

    /// Issue 20: RFC 8707 `resource` required of one client (migration 17) is stored, read back by every
    /// read path, and cleared by an upsert without it (a configuration file that drops the line).
    @Test(arguments: StoreBackend.allCases)
    func aClientsResourceRequirementIsKept(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            var client = StoreFixtures.client("mcp-agent")
            client.requireResource = true
            try await stores.clients.insert(client)
            #expect(try await stores.clients.client(id: "mcp-agent")?.requireResource == true)
            #expect(try await stores.clients.all().first { $0.id == "mcp-agent" }?.requireResource == true)
            client.requireResource = false
            try await stores.clients.upsert(client)
            #expect(try await stores.clients.client(id: "mcp-agent") == client)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func anInitialAccessTokenIsSpentAtMostItsUses(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let token = RegistrationTokenRecord(
                id: "t1",
                tokenHash: "h1",
                label: "for the MCP desktop team",
                createdAt: Self.now,
                expiresAt: Self.now.addingTimeInterval(600),
                remainingUses: 2
            )
            try await stores.clients.insertRegistrationToken(token)
            await #expect(throws: StorageError.self) { try await stores.clients.insertRegistrationToken(token) }
            #expect(try await stores.clients.spendRegistrationToken(hash: "unknown", at: Self.now) == false)
            // Expired: refused even with uses left.
            #expect(try await stores.clients.spendRegistrationToken(hash: "h1", at: Self.now.addingTimeInterval(600)) == false)
            // Concurrent spends: exactly two succeed.
            let spent = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<6 { group.addTask { try await stores.clients.spendRegistrationToken(hash: "h1", at: Self.now) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(spent == 2)
            var listed = token
            listed.remainingUses = 0
            #expect(try await stores.clients.registrationTokens() == [listed])
            #expect(try await stores.clients.removeRegistrationToken(id: "t1"))
            #expect(try await stores.clients.removeRegistrationToken(id: "t1") == false)
            #expect(try await stores.clients.registrationTokens().isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func revokingAClientsTokensLeavesOtherClientsAlone(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(StoreFixtures.issuance(jti: "mine", grant: "g1", refreshHash: "r1"))
            var other = StoreFixtures.issuance(jti: "theirs", grant: "g2")
            other.accessToken.clientID = "someone-else"
            try await stores.tokens.record(other)
            #expect(try await stores.tokens.revokeTokens(clientID: "c", at: Self.now) == 2)
            #expect(try await stores.tokens.accessToken(jti: "mine")?.revokedAt == Self.now)
            #expect(try await stores.tokens.refreshToken(hash: "r1")?.revokedAt == Self.now)
            #expect(try await stores.tokens.accessToken(jti: "theirs")?.revokedAt == nil)
            #expect(try await stores.tokens.revokeTokens(clientID: "c", at: Self.now) == 0)
        }
    }
}
