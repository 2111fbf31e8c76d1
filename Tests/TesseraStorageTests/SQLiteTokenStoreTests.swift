import TesseraProtocol
import TesseraEngine
import HTTPTypes
import Foundation
import Testing
import TesseraStorage

@Suite struct SQLiteTokenStoreTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func temporaryStores() async throws -> (Stores, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-\(UUID().uuidString)/db.sqlite").path
        return (try await SQLiteDatabase.openStores(url: "sqlite:\(path)"), path)
    }

    static func issuance(jti: String = UUID().uuidString, grant: String = "g1", refreshHash: String? = nil) -> TokenIssuance {
        let access = AccessTokenRecord(
            jti: jti, grantID: grant, clientID: "c", subject: "c", scope: "read", audience: ["https://rs.example", "https://b"],
            issuedAt: now, expiresAt: now.addingTimeInterval(3600)
        )
        let refresh = refreshHash.map {
            RefreshTokenRecord(
                tokenHash: $0, grantID: grant, clientID: "c", subject: "c", scope: "read", audience: ["https://rs.example"],
                issuedAt: now, expiresAt: now.addingTimeInterval(86_400)
            )
        }
        return TokenIssuance(accessToken: access, refreshToken: refresh)
    }

    @Test func recordedTokensReadBack() async throws {
        let (stores, _) = try await Self.temporaryStores()
        try await stores.tokens.record(Self.issuance(jti: "j1", refreshHash: "h1"))
        let access = try #require(try await stores.tokens.accessToken(jti: "j1"))
        #expect(access.audience == ["https://rs.example", "https://b"])
        #expect(access.isActive(at: Self.now))
        #expect(try await stores.tokens.refreshToken(hash: "h1")?.grantID == "g1")
    }

    @Test func recordsSurviveReopeningTheFile() async throws {
        let (stores, path) = try await Self.temporaryStores()
        try await stores.tokens.record(Self.issuance(jti: "durable"))
        let reopened = try await SQLiteDatabase.openStores(url: "sqlite:\(path)")
        #expect(try await reopened.tokens.accessToken(jti: "durable") != nil)
    }

    @Test func rotationIsSingleUseAndReuseRevokesTheGrant() async throws {
        let (stores, _) = try await Self.temporaryStores()
        try await stores.tokens.record(Self.issuance(jti: "a1", refreshHash: "r1"))
        #expect(try await stores.tokens.rotateRefreshToken(hash: "r1", at: Self.now, replacement: Self.issuance(jti: "a2", refreshHash: "r2")) == .rotated)
        #expect(try await stores.tokens.rotateRefreshToken(hash: "r1", at: Self.now, replacement: Self.issuance(jti: "a3", refreshHash: "r3")) == .reuseDetected(grantID: "g1"))
        #expect(try await stores.tokens.refreshToken(hash: "r2")?.revokedAt != nil)
        #expect(try await stores.tokens.accessToken(jti: "a2")?.revokedAt != nil)
        #expect(try await stores.tokens.accessToken(jti: "a3") == nil)
    }

    @Test func concurrentRotationsHaveExactlyOneWinner() async throws {
        let (stores, _) = try await Self.temporaryStores()
        try await stores.tokens.record(Self.issuance(jti: "a0", refreshHash: "race"))
        let outcomes = try await withThrowingTaskGroup(of: RefreshRotation.self) { group in
            for index in 0..<16 {
                group.addTask {
                    try await stores.tokens.rotateRefreshToken(
                        hash: "race", at: Self.now, replacement: Self.issuance(jti: "n\(index)", refreshHash: "new\(index)")
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .rotated }.count == 1)
    }

    @Test func expiredAndUnknownRefreshTokensDoNotRotate() async throws {
        let (stores, _) = try await Self.temporaryStores()
        try await stores.tokens.record(Self.issuance(jti: "a1", refreshHash: "old"))
        let later = Self.now.addingTimeInterval(2 * 86_400)
        #expect(try await stores.tokens.rotateRefreshToken(hash: "old", at: later, replacement: Self.issuance(jti: "x")) == .invalid)
        #expect(try await stores.tokens.rotateRefreshToken(hash: "nope", at: Self.now, replacement: Self.issuance(jti: "y")) == .invalid)
    }

    @Test func concurrentBatchedWritesAllLand() async throws {
        let (stores, _) = try await Self.temporaryStores()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 { group.addTask { try await stores.tokens.record(Self.issuance(jti: "batch-\(index)")) } }
            try await group.waitForAll()
        }
        for index in 0..<200 { #expect(try await stores.tokens.accessToken(jti: "batch-\(index)") != nil) }
    }

    @Test func aFailingWriteDoesNotSinkItsBatch() async throws {
        let (stores, _) = try await Self.temporaryStores()
        try await stores.tokens.record(Self.issuance(jti: "dup"))
        let results = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await stores.tokens.record(Self.issuance(jti: "dup"))) != nil }
            for index in 0..<20 { group.addTask { (try? await stores.tokens.record(Self.issuance(jti: "ok-\(index)"))) != nil } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { !$0 }.count == 1)
        #expect(try await stores.tokens.accessToken(jti: "ok-19") != nil)
    }

    @Test func replayCacheAcceptsOnceUntilExpiry() async throws {
        let (stores, _) = try await Self.temporaryStores()
        let expiry = Self.now.addingTimeInterval(60)
        #expect(try await stores.replay.insertIfAbsent(namespace: "n", value: "v", expiresAt: expiry, now: Self.now))
        #expect(try await !stores.replay.insertIfAbsent(namespace: "n", value: "v", expiresAt: expiry, now: Self.now))
        #expect(try await stores.replay.insertIfAbsent(namespace: "other", value: "v", expiresAt: expiry, now: Self.now))
        #expect(try await stores.replay.insertIfAbsent(namespace: "n", value: "v", expiresAt: expiry, now: expiry.addingTimeInterval(1)))
    }

    @Test func sqlInjectionThroughStoredFieldsIsInert() async throws {
        let (stores, _) = try await Self.temporaryStores()
        let hostile = "x'); DROP TABLE access_tokens; --"
        try await stores.tokens.record(Self.issuance(jti: hostile))
        #expect(try await stores.tokens.accessToken(jti: hostile)?.jti == hostile)
        #expect(try await stores.tokens.accessToken(jti: "' OR '1'='1") == nil)
    }

    @Test func rejectsUnknownDatabaseScheme() async {
        await #expect(throws: StorageError.self) { try await SQLiteDatabase.openStores(url: "mysql://x") }
    }
}
