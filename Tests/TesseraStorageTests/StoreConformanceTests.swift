import Foundation
import TesseraProtocol
import TesseraStorage
import Testing

/// The store protocols' contract, run unchanged against SQLite and PostgreSQL.
@Suite struct StoreConformanceTests {
    typealias F = StoreFixtures

    // MARK: - Clients and keys

    @Test(arguments: StoreBackend.allCases)
    func clientsInsertConflictUpsertAndRemove(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let record = F.client("c1")
            try await stores.clients.insert(record)
            #expect(try await stores.clients.client(id: "c1") == record)
            await #expect(throws: StorageError(.conflict, "")) { try await stores.clients.insert(record) }
            var changed = record
            changed.scopes = ["a"]
            changed.secretHash = nil
            try await stores.clients.upsert(changed)
            try await stores.clients.upsert(F.client("c0"))
            #expect(try await stores.clients.client(id: "c1") == changed)
            #expect(try await stores.clients.all().map(\.id) == ["c0", "c1"])
            #expect(try await stores.clients.remove(id: "c1"))
            #expect(try await !stores.clients.remove(id: "c1"))
            #expect(try await stores.clients.client(id: "c1") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func keysAreListedNewestFirstAndRetired(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.keys.insert(F.key("old", created: 1))
            try await stores.keys.insert(F.key("new", created: 2))
            try await stores.keys.retireAll(except: "new", at: Date(timeIntervalSince1970: 3))
            let keys = try await stores.keys.all()
            #expect(keys.map(\.kid) == ["new", "old"])
            #expect(keys[0] == F.key("new", created: 2))
            #expect(keys[1].retiredAt == Date(timeIntervalSince1970: 3))
            await #expect(throws: (any Error).self) { try await stores.keys.insert(F.key("new", created: 5)) }
        }
    }

    // MARK: - Tokens

    @Test(arguments: StoreBackend.allCases)
    func refreshTokenKeyBindingIsStoredAndSurvivesRotation(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            var bound = F.issuance(jti: "b1", refreshHash: "bound1")
            bound.refreshToken?.jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
            try await stores.tokens.record(bound)
            #expect(try await stores.tokens.refreshToken(hash: "bound1")?.jkt == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
            #expect(try await stores.tokens.refreshToken(hash: "bound1") == bound.refreshToken)

            var replacement = F.issuance(jti: "b2", refreshHash: "bound2")
            replacement.refreshToken?.jkt = "another-thumbprint"
            #expect(try await stores.tokens.rotateRefreshToken(hash: "bound1", at: F.now, replacement: replacement) == .rotated)
            #expect(try await stores.tokens.refreshToken(hash: "bound2")?.jkt == "another-thumbprint")

            try await stores.tokens.record(F.issuance(jti: "u1", refreshHash: "unbound"))
            #expect(try await stores.tokens.refreshToken(hash: "unbound")?.jkt == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func recordedTokensReadBackExactly(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let issuance = F.issuance(jti: "j1", refreshHash: "h1")
            try await stores.tokens.record(issuance)
            #expect(try await stores.tokens.accessToken(jti: "j1") == issuance.accessToken)
            #expect(try await stores.tokens.refreshToken(hash: "h1") == issuance.refreshToken)
            #expect(try await stores.tokens.accessToken(jti: "nope") == nil)
            #expect(try await stores.tokens.refreshToken(hash: "nope") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func refreshTokensRememberTheirAuthorizationDetails(_ backend: StoreBackend) async throws {
        // Migration 0004: RFC 9396 details (here a Cedar policy set with quotes and line breaks) survive
        // recording and rotation byte for byte.
        let details =
            #"[{"policySet":"permit (\n  principal == BankA::User::\"u'1\",\n  action,\n  resource\n);","rarFormat":"cedar","type":"payment_initiation"}]"#
        try await backend.withStores { stores in
            var issuance = F.issuance(jti: "d1", refreshHash: "rd1")
            issuance.refreshToken?.authorizationDetails = details
            try await stores.tokens.record(issuance)
            #expect(try await stores.tokens.refreshToken(hash: "rd1")?.authorizationDetails == details)
            var replacement = F.issuance(jti: "d2", refreshHash: "rd2")
            replacement.refreshToken?.authorizationDetails = details
            #expect(try await stores.tokens.rotateRefreshToken(hash: "rd1", at: F.now, replacement: replacement) == .rotated)
            #expect(try await stores.tokens.refreshToken(hash: "rd2") == replacement.refreshToken)
            try await stores.tokens.record(F.issuance(jti: "d3", refreshHash: "rd3"))
            #expect(try await stores.tokens.refreshToken(hash: "rd3")?.authorizationDetails == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func rotationIsSingleUseAndReuseRevokesTheGrant(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(F.issuance(jti: "a1", refreshHash: "r1"))
            let first = try await stores.tokens.rotateRefreshToken(
                hash: "r1",
                at: F.now,
                replacement: F.issuance(jti: "a2", refreshHash: "r2")
            )
            #expect(first == .rotated)
            #expect(try await stores.tokens.refreshToken(hash: "r1")?.usedAt == F.now)
            let replay = try await stores.tokens.rotateRefreshToken(
                hash: "r1",
                at: F.now,
                replacement: F.issuance(jti: "a3", refreshHash: "r3")
            )
            #expect(replay == .reuseDetected(grantID: "g1"))
            #expect(try await stores.tokens.refreshToken(hash: "r2")?.revokedAt != nil)
            #expect(try await stores.tokens.accessToken(jti: "a2")?.revokedAt != nil)
            #expect(try await stores.tokens.accessToken(jti: "a3") == nil)
            #expect(try await stores.tokens.refreshToken(hash: "r3") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentRotationsHaveExactlyOneWinner(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(F.issuance(jti: "a0", refreshHash: "race"))
            let outcomes = try await Self.race(16) { index in
                try await stores.tokens.rotateRefreshToken(
                    hash: "race",
                    at: F.now,
                    replacement: F.issuance(jti: "n\(index)", refreshHash: "new\(index)")
                )
            }
            #expect(outcomes.filter { $0 == .rotated }.count == 1)
            #expect(outcomes.filter { $0 == .reuseDetected(grantID: "g1") }.count == 15)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredRevokedAndUnknownRefreshTokensDoNotRotate(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(F.issuance(jti: "a1", grant: "g1", refreshHash: "old"))
            try await stores.tokens.record(F.issuance(jti: "a2", grant: "g2", refreshHash: "revoked"))
            #expect(try await stores.tokens.revokeGrant(id: "g2", at: F.now) == 2)
            let later = F.now.addingTimeInterval(2 * 86_400)
            #expect(try await stores.tokens.rotateRefreshToken(hash: "old", at: later, replacement: F.issuance(jti: "x")) == .invalid)
            #expect(try await stores.tokens.rotateRefreshToken(hash: "revoked", at: F.now, replacement: F.issuance(jti: "y")) == .invalid)
            #expect(try await stores.tokens.rotateRefreshToken(hash: "nope", at: F.now, replacement: F.issuance(jti: "z")) == .invalid)
            #expect(try await stores.tokens.accessToken(jti: "x") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func revocationCountsOnlyActiveTokens(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(F.issuance(jti: "a1", grant: "g", refreshHash: "r1"))
            try await stores.tokens.record(F.issuance(jti: "a2", grant: "g"))
            #expect(try await stores.tokens.revokeAccessToken(jti: "a2", at: F.now))
            #expect(try await !stores.tokens.revokeAccessToken(jti: "a2", at: F.now))
            #expect(try await !stores.tokens.revokeAccessToken(jti: "unknown", at: F.now))
            #expect(try await stores.tokens.revokeGrant(id: "g", at: F.now) == 2)
            #expect(try await stores.tokens.revokeGrant(id: "g", at: F.now) == 0)
            #expect(try await stores.tokens.accessToken(jti: "a1")?.isActive(at: F.now) == false)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func deleteExpiredRemovesOnlyExpiredRecords(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(F.issuance(jti: "a1", refreshHash: "r1"))
            _ = try await stores.replay.insertIfAbsent(namespace: "n", value: "v", expiresAt: F.now.addingTimeInterval(60), now: F.now)
            #expect(try await stores.tokens.deleteExpired(before: F.now) == 0)
            // After the access token (1 h) and replay entry (60 s) expired, before the refresh token (1 day).
            #expect(try await stores.tokens.deleteExpired(before: F.now.addingTimeInterval(7200)) == 2)
            #expect(try await stores.tokens.accessToken(jti: "a1") == nil)
            #expect(try await stores.tokens.refreshToken(hash: "r1") != nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentWritesAllLand(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            _ = try await Self.race(200) { index in try await stores.tokens.record(F.issuance(jti: "batch-\(index)")) }
            for index in 0..<200 { #expect(try await stores.tokens.accessToken(jti: "batch-\(index)") != nil) }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aFailingWriteFailsAloneWithConflict(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.tokens.record(F.issuance(jti: "dup"))
            let results = try await Self.race(21) { index -> Bool in
                do {
                    try await stores.tokens.record(F.issuance(jti: index == 0 ? "dup" : "ok-\(index)"))
                    return true
                } catch {
                    return false
                }
            }
            #expect(results.filter { !$0 }.count == 1)
            #expect(try await stores.tokens.accessToken(jti: "ok-20") != nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func sqlInjectionThroughStoredFieldsIsInert(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let hostile = "x'); DROP TABLE access_tokens; --"
            try await stores.tokens.record(F.issuance(jti: hostile))
            #expect(try await stores.tokens.accessToken(jti: hostile)?.jti == hostile)
            #expect(try await stores.tokens.accessToken(jti: "' OR '1'='1") == nil)
            try await stores.clients.insert(F.client("c'; DELETE FROM clients; --", scopes: ["a'b", "\"q\"", "{x,y}"]))
            #expect(try await stores.clients.all().first?.scopes == ["a'b", "\"q\"", "{x,y}"])
        }
    }

    // MARK: - Replay cache

    @Test(arguments: StoreBackend.allCases)
    func replayCacheAcceptsOnceUntilExpiry(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let expiry = F.now.addingTimeInterval(60)
            #expect(try await stores.replay.insertIfAbsent(namespace: "n", value: "v", expiresAt: expiry, now: F.now))
            #expect(try await !stores.replay.insertIfAbsent(namespace: "n", value: "v", expiresAt: expiry, now: F.now))
            #expect(try await stores.replay.insertIfAbsent(namespace: "other", value: "v", expiresAt: expiry, now: F.now))
            let afterExpiry = expiry.addingTimeInterval(1)
            #expect(
                try await stores.replay.insertIfAbsent(
                    namespace: "n",
                    value: "v",
                    expiresAt: afterExpiry.addingTimeInterval(60),
                    now: afterExpiry
                )
            )
            #expect(
                try await !stores.replay.insertIfAbsent(
                    namespace: "n",
                    value: "v",
                    expiresAt: afterExpiry.addingTimeInterval(60),
                    now: afterExpiry
                )
            )
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentReplayInsertsHaveExactlyOneWinner(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let accepted = try await Self.race(16) { _ in
                try await stores.replay.insertIfAbsent(namespace: "jti", value: "same", expiresAt: F.now.addingTimeInterval(60), now: F.now)
            }
            #expect(accepted.filter { $0 }.count == 1)
        }
    }

    // MARK: - Helpers

    /// Runs `count` calls of `work` at once and collects the results.
    static func race<T: Sendable>(_ count: Int, _ work: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: T.self) { group in
            for index in 0..<count { group.addTask { try await work(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
