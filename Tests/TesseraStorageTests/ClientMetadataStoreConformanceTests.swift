import Foundation
import TesseraStorage
import Testing

/// ``ClientMetadataStore`` and ``ClientChallengeStore`` contracts on SQLite and PostgreSQL.
@Suite struct ClientMetadataStoreConformanceTests {
    static func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    @Test(arguments: StoreBackend.allCases)
    func firstSightIsKeptAndChangesAreStamped(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let url = "https://agent.example/client.json"
            #expect(try await stores.clientMetadata.observation(clientID: url) == nil)
            let first = try await stores.clientMetadata.observe(
                clientID: url,
                keysFingerprint: "k1",
                redirectURIsFingerprint: "r1",
                at: Self.at(100)
            )
            #expect(first.firstSeenAt == Self.at(100))
            #expect(first.keysChangedAt == nil && first.redirectURIsChangedAt == nil)

            let same = try await stores.clientMetadata.observe(
                clientID: url,
                keysFingerprint: "k1",
                redirectURIsFingerprint: "r1",
                at: Self.at(200)
            )
            #expect(same.firstSeenAt == Self.at(100) && same.lastFetchedAt == Self.at(200))
            #expect(same.keysChangedAt == nil && same.redirectURIsChangedAt == nil)

            let rotated = try await stores.clientMetadata.observe(
                clientID: url,
                keysFingerprint: "k2",
                redirectURIsFingerprint: "r1",
                at: Self.at(300)
            )
            #expect(rotated.keysChangedAt == Self.at(300) && rotated.keysFingerprint == "k2")
            #expect(rotated.redirectURIsChangedAt == nil)

            let moved = try await stores.clientMetadata.observe(
                clientID: url,
                keysFingerprint: "k2",
                redirectURIsFingerprint: "r2",
                at: Self.at(400)
            )
            #expect(moved.keysChangedAt == Self.at(300) && moved.redirectURIsChangedAt == Self.at(400))
            #expect(try await stores.clientMetadata.observation(clientID: url) == moved)
        }
    }

    /// Outside review round 10, H7: a key set replaced behind an unchanged `jwks_uri` is a key change too.
    @Test(arguments: StoreBackend.allCases)
    func aFetchedKeySetChangeIsStamped(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let url = "https://agent.example/client.json"
            #expect(try await stores.clientMetadata.observeKeySet(clientID: url, fingerprint: "s1", at: Self.at(50)) == nil)
            _ = try await stores.clientMetadata.observe(
                clientID: url,
                keysFingerprint: "k1",
                redirectURIsFingerprint: "r1",
                at: Self.at(100)
            )
            let first = try await stores.clientMetadata.observeKeySet(clientID: url, fingerprint: "s1", at: Self.at(110))
            #expect(first?.keySetFingerprint == "s1" && first?.keysChangedAt == nil, "the first key set seen is no change")
            let same = try await stores.clientMetadata.observeKeySet(clientID: url, fingerprint: "s1", at: Self.at(120))
            #expect(same?.keysChangedAt == nil)
            let swapped = try await stores.clientMetadata.observeKeySet(clientID: url, fingerprint: "s2", at: Self.at(130))
            #expect(swapped?.keysChangedAt == Self.at(130) && swapped?.keySetFingerprint == "s2")
            let refetched = try await stores.clientMetadata.observe(
                clientID: url,
                keysFingerprint: "k1",
                redirectURIsFingerprint: "r1",
                at: Self.at(200)
            )
            #expect(refetched.keysChangedAt == Self.at(130) && refetched.keySetFingerprint == "s2", "an unchanged document keeps both")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aChallengeIsConsumedOnce(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let record = ClientChallengeRecord(
                sessionHash: "s1",
                clientID: "https://agent.example/client.json",
                keyThumbprint: "jkt",
                requestDigest: "d1",
                requirement: #"{"type":"urn:x"}"#,
                issuedAt: Self.at(10),
                expiresAt: Self.at(310)
            )
            try await stores.challenges.insert(record)
            let owner = record.clientID
            #expect(try await stores.challenges.consume(sessionHash: "nope", clientID: owner, at: Self.at(20)) == .unknown)
            // Read without being spent (a retry is checked first).
            #expect(try await stores.challenges.challenge(sessionHash: "nope") == nil)
            #expect(try await stores.challenges.challenge(sessionHash: "s1") == record)
            // Another client presenting the session spends nothing.
            #expect(
                try await stores.challenges.consume(sessionHash: "s1", clientID: "https://thief.example/c.json", at: Self.at(15))
                    == .issuedToAnotherClient
            )
            var used = record
            used.usedAt = Self.at(20)
            #expect(try await stores.challenges.consume(sessionHash: "s1", clientID: owner, at: Self.at(20)) == .consumed(used))
            #expect(try await stores.challenges.consume(sessionHash: "s1", clientID: owner, at: Self.at(30)) == .alreadyUsed(used))
            #expect(try await stores.challenges.challenge(sessionHash: "s1") == used)
            #expect(
                try await stores.challenges.consume(sessionHash: "s1", clientID: "https://thief.example/c.json", at: Self.at(30))
                    == .issuedToAnotherClient
            )
            await #expect(throws: (any Error).self) { try await stores.challenges.insert(record) }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentRetriesConsumeOnlyOnce(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let record = ClientChallengeRecord(
                sessionHash: "race",
                clientID: "c",
                keyThumbprint: nil,
                requestDigest: "d",
                requirement: "{}",
                issuedAt: Self.at(0),
                expiresAt: Self.at(600)
            )
            try await stores.challenges.insert(record)
            let outcomes = try await withThrowingTaskGroup(of: ClientChallengeConsumption.self) { group in
                for _ in 0..<8 { group.addTask { try await stores.challenges.consume(sessionHash: "race", clientID: "c", at: Self.at(1)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .consumed = $0 { true } else { false } }.count == 1)
        }
    }
}

/// ``GNAPResourceSetStore`` on SQLite and PostgreSQL.
@Suite struct GNAPResourceSetStoreConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func theSameSetKeepsItsFirstReference(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let first = GNAPResourceSetRecord(
                reference: "r1",
                resourceServerID: "rs",
                setHash: "h1",
                access: #"["a"]"#,
                createdAt: Date(timeIntervalSince1970: 1)
            )
            let stored = try await stores.resourceSets.register(first)
            #expect(stored == first)
            var again = first
            again.reference = "r2"
            let existing = try await stores.resourceSets.register(again)
            #expect(existing == first, "same set hash: the stored reference wins")
            #expect(try await stores.resourceSets.resourceSet(reference: "r1") == first)
            #expect(try await stores.resourceSets.resourceSet(reference: "r2") == nil)
        }
    }
}
