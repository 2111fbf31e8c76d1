import Foundation
import Synchronization
import TesseraEngine
import TesseraProtocol
import TesseraStorage
import TesseraTesting
import Testing

/// The key ring as several instances share it: publish before sign, reload on an unknown `kid` of
/// our own issuer (rate-limited), and keys sealed under a key-encryption key.
@Suite struct KeyRingTests {
    static let issuer = "https://as.test"

    /// Counts reads of the key set, to see when a ring reloads.
    final class CountingKeyStore: KeyStore {
        let inner: any KeyStore
        let reads = Mutex(0)
        init(_ inner: any KeyStore) { self.inner = inner }
        func insert(_ key: SigningKeyRecord) async throws { try await inner.insert(key) }
        func insertFirst(_ key: SigningKeyRecord) async throws -> Bool { try await inner.insertFirst(key) }
        func all() async throws -> [SigningKeyRecord] {
            reads.withLock { $0 += 1 }
            return try await inner.all()
        }
        func retireAll(except kid: String, at now: Date) async throws { try await inner.retireAll(except: kid, at: now) }
        func replacePrivateJWK(kid: String, with privateJWK: String) async throws -> Bool {
            try await inner.replacePrivateJWK(kid: kid, with: privateJWK)
        }
        func eraseReplacedKeyMaterial() async throws { try await inner.eraseReplacedKeyMaterial() }
    }

    static func store() async throws -> any KeyStore {
        try await TesseraDatabase.open(url: "sqlite::memory:").stores.keys
    }

    static func token(_ ring: KeyRing, issuer: String = issuer) async throws -> CompactJWS {
        let claims = ["iss": issuer, "sub": "s", "jti": UUID().uuidString]
        return try CompactJWS(parsing: try await ring.signer().sign(claims, type: AccessTokenClaims.type))
    }

    @Test func aRotatedKeyIsPublishedAtOnceAndSignsOnlyAfterThePublishDelay() async throws {
        let clock = TestClock()
        let ring = KeyRing(store: try await Self.store(), now: clock.closure)
        try await ring.loadOrCreate()
        let old = try await ring.signer().kid
        let (new, signsFrom) = try await ring.rotate(publishDelay: 30)
        #expect(signsFrom == clock.now.addingTimeInterval(30))
        #expect(Set(await ring.jwks().keys.compactMap(\.kid)) == [old, new])
        #expect(try await ring.signer().kid == old)
        clock.advance(by: 29)
        #expect(try await ring.signer().kid == old)
        clock.advance(by: 1)
        #expect(try await ring.signer().kid == new)
        #expect(Set(await ring.jwks().keys.compactMap(\.kid)) == [old, new])
    }

    @Test func anotherInstanceSwitchesAtTheSameTimeWithoutReloadingAgain() async throws {
        let clock = TestClock()
        let store = try await Self.store()
        let a = KeyRing(store: store, now: clock.closure)
        let b = KeyRing(store: store, now: clock.closure)
        try await a.loadOrCreate()
        try await b.loadOrCreate()
        let (new, _) = try await a.rotate(publishDelay: 30)
        clock.advance(by: 10)
        try await b.reload()  // B's periodic refresh, well before the key signs
        #expect(await b.jwks().keys.contains { $0.kid == new })
        clock.advance(by: 20)
        #expect(try await a.signer().kid == new)
        #expect(try await b.signer().kid == new)
    }

    @Test func anUnknownKidOfOurIssuerReloadsOnceThenIsRateLimited() async throws {
        let clock = TestClock()
        let shared = try await Self.store()
        let store = CountingKeyStore(shared)  // B's reads only
        let a = KeyRing(store: shared, now: clock.closure)
        var configuration = KeyRing.Configuration()
        configuration.unknownKeyReloadInterval = 1
        let b = KeyRing(store: store, configuration: configuration, now: clock.closure)
        try await a.loadOrCreate()
        try await b.loadOrCreate()
        // A rotates with no publish delay (as an older instance, or one whose refresh failed, would meet it).
        _ = try await a.rotate(publishDelay: 0)
        let fresh = try await Self.token(a)
        let before = store.reads.withLock { $0 }
        let payload = try await b.verifyOwnToken(fresh, expectedType: AccessTokenClaims.type, issuer: Self.issuer)
        #expect(!payload.isEmpty)
        #expect(store.reads.withLock { $0 } == before + 1)

        // A token of another issuer with an unknown kid never causes a reload.
        _ = try await a.rotate(publishDelay: 0)
        clock.advance(by: 5)
        let foreign = try await Self.token(a, issuer: "https://elsewhere.test")
        await #expect(throws: JOSEError(.unknownKey, "")) {
            try await b.verifyOwnToken(foreign, expectedType: AccessTokenClaims.type, issuer: Self.issuer)
        }
        #expect(store.reads.withLock { $0 } == before + 1)

        // Ours: one reload; a second unknown kid within the interval is judged without reading again.
        let ours = try await Self.token(a)
        _ = try await b.verifyOwnToken(ours, expectedType: AccessTokenClaims.type, issuer: Self.issuer)
        #expect(store.reads.withLock { $0 } == before + 2)
        _ = try await a.rotate(publishDelay: 0)
        let newer = try await Self.token(a)
        await #expect(throws: JOSEError(.unknownKey, "")) {
            try await b.verifyOwnToken(newer, expectedType: AccessTokenClaims.type, issuer: Self.issuer)
        }
        #expect(store.reads.withLock { $0 } == before + 2)
        clock.advance(by: 1)
        _ = try await b.verifyOwnToken(newer, expectedType: AccessTokenClaims.type, issuer: Self.issuer)
        #expect(store.reads.withLock { $0 } == before + 3)
    }

    @Test func keysSealedUnderAKeyEncryptionKeyOpenOnlyWithIt() async throws {
        let store = try await Self.store()
        var sealed = KeyRing.Configuration()
        sealed.encryptionKey = try KeyEncryptionKey(text: String(repeating: "ab", count: 32))
        let ring = KeyRing(store: store, configuration: sealed, now: { Fixtures.epoch })
        try await ring.loadOrCreate()
        let stored = try #require(try await store.all().first)
        #expect(PrivateKeyEnvelope.keyID(of: stored.privateJWK) == sealed.encryptionKey?.id)
        #expect(!stored.privateJWK.contains("\"d\""))
        #expect(await ring.unencryptedKeyIDs().isEmpty)

        // Without the KEK, or with another one: a clear error naming the key, never a crash.
        await #expect(throws: KeyEncryptionError(.missingKey, "")) {
            try await KeyRing(store: store, now: { Fixtures.epoch }).loadOrCreate()
        }
        var other = KeyRing.Configuration()
        other.encryptionKey = try KeyEncryptionKey(text: String(repeating: "cd", count: 32))
        await #expect(throws: KeyEncryptionError(.wrongKey, "")) {
            try await KeyRing(store: store, configuration: other, now: { Fixtures.epoch }).loadOrCreate()
        }
        // An altered envelope does not open.
        var characters = Array(stored.privateJWK)
        let middle = characters.count - 20
        characters[middle] = characters[middle] == "A" ? "B" : "A"
        let tampered = String(characters)
        #expect(try await store.replacePrivateJWK(kid: stored.kid, with: tampered))
        await #expect(throws: KeyEncryptionError(.corrupt, "")) {
            try await KeyRing(store: store, configuration: sealed, now: { Fixtures.epoch }).loadOrCreate()
        }
        // Re-encryption under the new KEK from the old one (after restoring the sealed value).
        #expect(try await store.replacePrivateJWK(kid: stored.kid, with: stored.privateJWK))
        let count = try await KeyRing(store: store, configuration: other, now: { Fixtures.epoch }).encryptStoredKeys(
            previous: sealed.encryptionKey
        )
        #expect(count == 1)
        let reopened = KeyRing(store: store, configuration: other, now: { Fixtures.epoch })
        try await reopened.loadOrCreate()
        #expect(try await reopened.signer().kid == stored.kid)
        #expect(throws: KeyEncryptionError(.invalidKey, "")) { try KeyEncryptionKey(text: "too short") }
    }
}
