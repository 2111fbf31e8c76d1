import Foundation
import TesseraStorage
import Testing

/// A grant's `jti` spent in the same commit as the token it pays for (``TokenStore/record(_:spending:)``, issue 22),
/// on both backends: spent once, nothing recorded for a replay, shared with the replay cache, taken over after expiry.
@Suite struct SingleUseSpendConformanceTests {
    typealias F = StoreFixtures

    static func spend(_ value: String, namespace: String = "jwt_grant:https://peer", now: Date = F.now) -> SingleUseSpend {
        SingleUseSpend(namespace: namespace, value: value, expiresAt: now.addingTimeInterval(60), now: now)
    }

    @Test(arguments: StoreBackend.allCases)
    func theValueIsSpentOnceAndAReplayRecordsNothing(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let first = F.issuance(jti: "redeemed-1")
            #expect(try await stores.tokens.record(first, spending: Self.spend("g-1")))
            #expect(try await stores.tokens.accessToken(jti: "redeemed-1") == first.accessToken)
            // The replay: refused, and its token is not recorded.
            #expect(try await !stores.tokens.record(F.issuance(jti: "redeemed-2"), spending: Self.spend("g-1")))
            #expect(try await stores.tokens.accessToken(jti: "redeemed-2") == nil)
            // Another issuer's namespace is another value.
            #expect(try await stores.tokens.record(F.issuance(jti: "redeemed-3"), spending: Self.spend("g-1", namespace: "id_jag:x")))
        }
    }

    /// An authorization code is used in the commit that records its tokens (J5): once, never when expired, and a
    /// replay that finds it used finds the tokens to revoke.
    @Test(arguments: StoreBackend.allCases)
    func aCodeIsRedeemedInTheCommitThatRecordsItsTokens(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let codes = stores.authorizationCodes
            for hash in ["k1", "k2"] {
                try await codes.createCode(
                    AuthorizationCodeRecord(
                        codeHash: hash,
                        clientID: "c",
                        grantID: "g-" + hash,
                        payload: "{}",
                        createdAt: F.now,
                        expiresAt: F.now.addingTimeInterval(60)
                    )
                )
            }
            #expect(try await stores.tokens.record(F.issuance(jti: "k1-a", grant: "g-k1"), redeemingCode: "k1", at: F.now))
            #expect(try await !stores.tokens.record(F.issuance(jti: "k1-b", grant: "g-k1"), redeemingCode: "k1", at: F.now))
            #expect(try await stores.tokens.accessToken(jti: "k1-b") == nil)
            guard case .replayed(let used) = try await codes.redeemCode(hash: "k1", at: F.now) else {
                Issue.record("the code is used once its tokens are recorded")
                return
            }
            #expect(try await stores.tokens.revokeGrant(id: used.grantID, at: F.now) == 1, "the replay finds the token")
            #expect(try await !stores.tokens.record(F.issuance(jti: "k2-a"), redeemingCode: "k2", at: F.now.addingTimeInterval(61)))
            #expect(try await !stores.tokens.record(F.issuance(jti: "k3-a"), redeemingCode: "unknown", at: F.now))
            let accepted = try await StoreConformanceTests.race(8) { index in
                try await stores.tokens.record(F.issuance(jti: "k2-race-\(index)"), redeemingCode: "k2", at: F.now)
            }
            #expect(accepted.filter { $0 }.count == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theReplayCacheAndTheCombinedSpendSeeEachOther(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let expiry = F.now.addingTimeInterval(60)
            #expect(
                try await stores.replay.insertIfAbsent(namespace: "jwt_grant:https://peer", value: "g-2", expiresAt: expiry, now: F.now)
            )
            #expect(try await !stores.tokens.record(F.issuance(jti: "t-2"), spending: Self.spend("g-2")))
            #expect(try await stores.tokens.accessToken(jti: "t-2") == nil)
            #expect(try await stores.tokens.record(F.issuance(jti: "t-3"), spending: Self.spend("g-3")))
            #expect(
                try await !stores.replay.insertIfAbsent(namespace: "jwt_grant:https://peer", value: "g-3", expiresAt: expiry, now: F.now)
            )
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func anExpiredSpendIsTakenOver(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            #expect(try await stores.tokens.record(F.issuance(jti: "e-1"), spending: Self.spend("g-4")))
            let later = F.now.addingTimeInterval(120)
            #expect(try await stores.tokens.record(F.issuance(jti: "e-2"), spending: Self.spend("g-4", now: later)))
            #expect(try await stores.tokens.accessToken(jti: "e-2") != nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentSpendsOfOneValueRecordExactlyOneToken(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let accepted = try await StoreConformanceTests.race(16) { index in
                try await stores.tokens.record(F.issuance(jti: "race-\(index)"), spending: Self.spend("same"))
            }
            #expect(accepted.filter { $0 }.count == 1)
            var recorded = 0
            for index in 0..<16 where try await stores.tokens.accessToken(jti: "race-\(index)") != nil { recorded += 1 }
            #expect(recorded == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aFailingRecordLeavesTheValueUnspent(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.tokens.record(F.issuance(jti: "taken"))
            // The record fails (its jti exists): the spend rolls back with it, so the grant can still be redeemed.
            await #expect(throws: (any Error).self) {
                _ = try await stores.tokens.record(F.issuance(jti: "taken"), spending: Self.spend("g-5"))
            }
            #expect(try await stores.tokens.record(F.issuance(jti: "fresh"), spending: Self.spend("g-5")))
        }
    }
}
