import Foundation
import TesseraProtocol
import TesseraStorage
import Testing

/// Held authorization requests, codes and client redirect URIs (migration 0009) on both backends:
/// a request and a code are each accepted once, and not after they expire.
@Suite struct AuthorizationCodeStoreConformanceTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func request(
        _ idHash: String,
        kind: String = AuthorizationRequestRecord.pushed,
        lifetime: TimeInterval = 90
    ) -> AuthorizationRequestRecord {
        AuthorizationRequestRecord(
            idHash: idHash,
            kind: kind,
            clientID: "web",
            parameters: #"{"a":1}"#,
            createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime)
        )
    }

    static func code(_ hash: String, grant: String = "g1") -> AuthorizationCodeRecord {
        AuthorizationCodeRecord(
            codeHash: hash,
            clientID: "web",
            grantID: grant,
            payload: "{}",
            createdAt: now,
            expiresAt: now.addingTimeInterval(60)
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func aRequestIsConsumedOnceAndNotAfterExpiry(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores.authorizationCodes
            try await store.createRequest(Self.request("r1"))
            try await store.createRequest(Self.request("r2", kind: AuthorizationRequestRecord.pending))
            #expect(try await store.request(idHash: "r1", at: Self.now)?.parameters == #"{"a":1}"#)
            let consumed = try await store.consumeRequest(idHash: "r1", at: Self.now)
            #expect(consumed?.clientID == "web")
            #expect(consumed?.usedAt == Self.now)
            #expect(try await store.consumeRequest(idHash: "r1", at: Self.now) == nil, "single use")
            #expect(try await store.request(idHash: "r1", at: Self.now) == nil)
            #expect(try await store.consumeRequest(idHash: "r2", at: Self.now.addingTimeInterval(91)) == nil, "expired")
            #expect(try await store.request(idHash: "r2", at: Self.now)?.kind == AuthorizationRequestRecord.pending)
            #expect(try await store.consumeRequest(idHash: "unknown", at: Self.now) == nil)
        }
    }

    /// Reading a code (the client-challenge policy judges its rights first) does not use it; a used or expired
    /// code is not read.
    @Test(arguments: StoreBackend.allCases)
    func aCodeIsReadWithoutBeingUsed(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores.authorizationCodes
            try await store.createCode(Self.code("c1"))
            #expect(try await store.code(hash: "c1", at: Self.now)?.grantID == "g1")
            #expect(try await store.code(hash: "c1", at: Self.now)?.usedAt == nil)
            #expect(try await store.code(hash: "c1", at: Self.now.addingTimeInterval(61)) == nil, "expired")
            #expect(try await store.code(hash: "unknown", at: Self.now) == nil)
            guard case .redeemed = try await store.redeemCode(hash: "c1", at: Self.now) else {
                Issue.record("reading it must leave it redeemable")
                return
            }
            #expect(try await store.code(hash: "c1", at: Self.now) == nil, "used")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aCodeIsRedeemedOnceThenReportedAsReplayed(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores.authorizationCodes
            try await store.createCode(Self.code("c1"))
            guard case .redeemed(let record) = try await store.redeemCode(hash: "c1", at: Self.now) else {
                Issue.record("the first use must redeem")
                return
            }
            #expect(record.grantID == "g1")
            guard case .replayed(let replayed) = try await store.redeemCode(hash: "c1", at: Self.now) else {
                Issue.record("the second use must be a replay")
                return
            }
            #expect(replayed.grantID == "g1")
            #expect(try await store.redeemCode(hash: "unknown", at: Self.now) == .invalid)
            try await store.createCode(Self.code("c2", grant: "g2"))
            #expect(try await store.redeemCode(hash: "c2", at: Self.now.addingTimeInterval(61)) == .invalid, "expired, never used")
            #expect(try await store.deleteExpiredAuthorizations(before: Self.now.addingTimeInterval(120)) == 2)
            #expect(try await store.redeemCode(hash: "c1", at: Self.now) == .invalid)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func clientsKeepTheirRedirectURIsAndPARRequirement(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            var client = ClientRecord(
                id: "web",
                authMethod: .none,
                grantTypes: [.authorizationCode],
                scopes: ["openid"],
                createdAt: Self.now
            )
            client.redirectURIs = ["https://app.example/cb", "com.example.app:/cb"]
            client.requirePushedAuthorizationRequests = true
            try await stores.clients.insert(client)
            let stored = try await stores.clients.client(id: "web")
            #expect(stored?.redirectURIs == ["https://app.example/cb", "com.example.app:/cb"])
            #expect(stored?.requirePushedAuthorizationRequests == true)
            client.redirectURIs = []
            client.requirePushedAuthorizationRequests = false
            try await stores.clients.upsert(client)
            #expect(try await stores.clients.client(id: "web")?.redirectURIs == [])
            #expect(try await stores.clients.client(id: "web")?.requirePushedAuthorizationRequests == false)
        }
    }

    /// Migration 0010: consents are listed per person until withdrawn; only their owner can
    /// withdraw one, once, and withdrawing returns the grants issued under it.
    @Test(arguments: StoreBackend.allCases)
    func consentsAreListedPerPersonAndWithdrawnOnceByTheirOwner(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores.authorizationCodes
            let details = #"[{"type":"billing"}]"#
            let older = ConsentRecord(
                id: "c1",
                subject: "alice",
                clientID: "web",
                scope: ["openid", "read"],
                resources: ["https://api.example/"],
                authorizationDetails: details,
                createdAt: Self.now
            )
            let newer = ConsentRecord(
                id: "c2",
                subject: "alice",
                clientID: "spa",
                scope: [],
                resources: [],
                authorizationDetails: nil,
                createdAt: Self.now.addingTimeInterval(5)
            )
            try await store.createConsent(older)
            try await store.createConsent(newer)
            try await store.createConsent(
                ConsentRecord(
                    id: "c3",
                    subject: "bob",
                    clientID: "web",
                    scope: ["read"],
                    resources: [],
                    authorizationDetails: nil,
                    createdAt: Self.now
                )
            )
            #expect(try await store.consents(subject: "alice") == [newer, older], "newest first, every column kept")
            #expect(try await store.consents(subject: "carol") == [])
            #expect(try await store.createCode(Self.code("k1", grant: "g1"), underConsent: "c1"))
            #expect(try await store.createCode(Self.code("k2", grant: "g2"), underConsent: "c1"))
            #expect(try await store.createCode(Self.code("k3", grant: "g3"), underConsent: "c3"))
            #expect(try await !store.createCode(Self.code("k9", grant: "g9"), underConsent: "unknown"))
            // k2 redeemed with its tokens before the withdrawal: the withdrawal revokes them in its own commit (J5).
            #expect(
                try await stores.tokens.record(
                    StoreFixtures.issuance(jti: "t2", grant: "g2", refreshHash: "r2"),
                    redeemingCode: "k2",
                    at: Self.now
                )
            )
            #expect(try await store.withdrawConsent(id: "c1", subject: "bob", at: Self.now) == nil, "not bob's")
            #expect(try await store.consents(subject: "alice").count == 2)
            #expect(try await store.withdrawConsent(id: "c1", subject: "alice", at: Self.now) == ["g1", "g2"])
            #expect(try await store.withdrawConsent(id: "c1", subject: "alice", at: Self.now) == nil, "once")
            guard case .replayed = try await store.redeemCode(hash: "k1", at: Self.now) else {
                Issue.record("a code issued under a withdrawn consent is spent")
                return
            }
            #expect(try await stores.tokens.accessToken(jti: "t2")?.revokedAt == Self.now)
            #expect(try await stores.tokens.refreshToken(hash: "r2")?.revokedAt == Self.now)
            // No code is created under a withdrawn consent: the withdrawal would not find it.
            #expect(try await !store.createCode(Self.code("k4", grant: "g4"), underConsent: "c1"))
            #expect(try await store.code(hash: "k4", at: Self.now) == nil)
            guard case .redeemed = try await store.redeemCode(hash: "k3", at: Self.now) else {
                Issue.record("another consent's code is untouched")
                return
            }
            #expect(try await store.withdrawConsent(id: "c2", subject: "alice", at: Self.now) == [], "no grants yet")
            #expect(try await store.withdrawConsent(id: "unknown", subject: "alice", at: Self.now) == nil)
            #expect(try await store.consents(subject: "alice") == [])
            #expect(try await store.consents(subject: "bob").map(\.id) == ["c3"])
        }
    }
}
