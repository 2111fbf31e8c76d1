import Foundation
import Synchronization
import TesseraStorage
import Testing

/// The client cache (issue 22) never lets an instance honour a client another instance changed or removed for
/// longer than its recheck interval, never hides a client registered elsewhere, and sees its own changes at once.
@Suite struct ClientCacheTests {
    typealias F = StoreFixtures

    /// A monotonic clock moved by hand.
    final class ManualClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        func now() -> ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    /// Two instances on one fresh database; `body` gets the first one's store behind a cache on `clock`.
    static func withTwoInstances(
        _ backend: StoreBackend,
        clock: ManualClock,
        _ body: @Sendable (CachingClientStore, Stores) async throws -> Void
    ) async throws {
        let url = try backend.freshURL()
        try await TesseraDatabase.withConnection(url: url) { first in
            try await TesseraDatabase.withConnection(url: url) { second in
                let opened = try #require(first.stores.clients as? CachingClientStore, "the opened stores cache their clients")
                let cache = CachingClientStore(base: opened.uncached, recheckInterval: .milliseconds(500), now: { clock.now() })
                try await body(cache, second.stores)
            }
        }
    }

    static func client(_ id: String, secretHash: String) -> ClientRecord {
        var record = F.client(id)
        record.secretHash = secretHash
        return record
    }

    @Test(arguments: StoreBackend.allCases)
    func aClientChangedOrRemovedElsewhereIsNotHonouredAfterTheRecheckInterval(_ backend: StoreBackend) async throws {
        let clock = ManualClock()
        try await Self.withTwoInstances(backend, clock: clock) { cache, other in
            try await other.clients.insert(Self.client("c", secretHash: "old"))
            #expect(try await cache.client(id: "c")?.secretHash == "old")
            // Another instance rotates the secret: within the interval the cached record may still answer…
            try await other.clients.upsert(Self.client("c", secretHash: "new"))
            clock.advance(.milliseconds(499))
            #expect(try await cache.client(id: "c")?.secretHash == "old")
            // …and never after it.
            clock.advance(.milliseconds(1))
            #expect(try await cache.client(id: "c")?.secretHash == "new")
            #expect(try await cache.client(id: "c")?.secretHash == "new")
            _ = try await other.clients.remove(id: "c")
            clock.advance(.milliseconds(500))
            #expect(try await cache.client(id: "c") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aClientRegisteredElsewhereIsFoundAtOnce(_ backend: StoreBackend) async throws {
        let clock = ManualClock()
        try await Self.withTwoInstances(backend, clock: clock) { cache, other in
            try await other.clients.insert(Self.client("known", secretHash: "h"))
            _ = try await cache.client(id: "known")
            #expect(try await cache.client(id: "late") == nil)
            try await other.clients.insert(Self.client("late", secretHash: "h"))
            #expect(try await cache.client(id: "late")?.id == "late")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aChangeThroughTheCacheIsSeenAtOnce(_ backend: StoreBackend) async throws {
        let clock = ManualClock()
        try await Self.withTwoInstances(backend, clock: clock) { cache, _ in
            try await cache.insert(Self.client("c", secretHash: "old"))
            #expect(try await cache.client(id: "c")?.secretHash == "old")
            try await cache.upsert(Self.client("c", secretHash: "new"))
            #expect(try await cache.client(id: "c")?.secretHash == "new")
            #expect(try await cache.remove(id: "c"))
            #expect(try await cache.client(id: "c") == nil)
        }
    }

    /// A store that counts the reads the cache sends it.
    final class CountingStore: ClientStore, ClientChangeFeed {
        let base: any ClientStore & ClientChangeFeed
        private let counts = Mutex((rows: 0, counter: 0))
        init(_ base: any ClientStore & ClientChangeFeed) { self.base = base }
        var rowReads: Int { counts.withLock { $0.rows } }
        var counterReads: Int { counts.withLock { $0.counter } }

        func clientChangeSequence() async throws -> Int64 {
            counts.withLock { $0.counter += 1 }
            return try await base.clientChangeSequence()
        }
        func client(id: String) async throws -> ClientRecord? {
            counts.withLock { $0.rows += 1 }
            return try await base.client(id: id)
        }
        func client(gnapKeyThumbprint: String) async throws -> ClientRecord? {
            counts.withLock { $0.rows += 1 }
            return try await base.client(gnapKeyThumbprint: gnapKeyThumbprint)
        }
        func insert(_ client: ClientRecord) async throws { try await base.insert(client) }
        func upsert(_ client: ClientRecord) async throws { try await base.upsert(client) }
        func all() async throws -> [ClientRecord] { try await base.all() }
        func remove(id: String) async throws -> Bool { try await base.remove(id: id) }
        func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws { try await base.insertRegistrationToken(token) }
        func spendRegistrationToken(hash: String, at now: Date) async throws -> Bool {
            try await base.spendRegistrationToken(hash: hash, at: now)
        }
        func registrationTokens() async throws -> [RegistrationTokenRecord] { try await base.registrationTokens() }
        func removeRegistrationToken(id: String) async throws -> Bool { try await base.removeRegistrationToken(id: id) }
    }

    /// Two instances on one fresh database; `body` gets the first one's store, counted, behind a cache that reads the
    /// change counter on every lookup (the default).
    static func withCountedInstance(
        _ backend: StoreBackend,
        _ body: @Sendable (CachingClientStore, CountingStore, Stores) async throws -> Void
    ) async throws {
        let url = try backend.freshURL()
        try await TesseraDatabase.withConnection(url: url) { first in
            try await TesseraDatabase.withConnection(url: url) { second in
                let opened = try #require(first.stores.clients as? CachingClientStore, "the opened stores cache their clients")
                let counted = CountingStore(opened.uncached)
                try await body(CachingClientStore(base: counted), counted, second.stores)
            }
        }
    }

    /// Issue 22: with the default interval (the counter read on every lookup) a lookup whose counter has not moved is
    /// answered from memory; before, every lookup read the counter and then the client's row as well.
    @Test(arguments: StoreBackend.allCases)
    func anUnchangedCounterServesTheCachedClientWithoutReadingItsRow(_ backend: StoreBackend) async throws {
        try await Self.withCountedInstance(backend) { cache, counted, other in
            try await other.clients.insert(Self.client("c", secretHash: "old"))
            for _ in 0..<3 { #expect(try await cache.client(id: "c")?.secretHash == "old") }
            #expect(counted.rowReads == 1)
            #expect(counted.counterReads == 3)
            // A change anywhere moves the counter: the very next lookup reads the row again.
            try await other.clients.upsert(Self.client("c", secretHash: "new"))
            #expect(try await cache.client(id: "c")?.secretHash == "new")
            #expect(counted.rowReads == 2)
            _ = try await other.clients.remove(id: "c")
            #expect(try await cache.client(id: "c") == nil)
        }
    }

    /// A GNAP key presented by value is cached like a client ID, and a key re-assigned or an instance removed in another
    /// instance is seen on the very next lookup.
    @Test(arguments: StoreBackend.allCases)
    func aKeyThumbprintIsCachedUntilAnyClientChanges(_ backend: StoreBackend) async throws {
        try await Self.withCountedInstance(backend) { cache, counted, other in
            try await other.clients.insert(ClientRecord.gnapOnly(id: "agent", gnap: F.gnap("t1"), createdAt: F.now))
            for _ in 0..<3 { #expect(try await cache.client(gnapKeyThumbprint: "t1")?.id == "agent") }
            #expect(counted.rowReads == 1)
            #expect(try await cache.client(gnapKeyThumbprint: "t2") == nil)
            _ = try await other.clients.remove(id: "agent")
            #expect(try await cache.client(gnapKeyThumbprint: "t1") == nil)
            try await other.clients.insert(ClientRecord.gnapOnly(id: "other-agent", gnap: F.gnap("t1"), createdAt: F.now))
            #expect(try await cache.client(gnapKeyThumbprint: "t1")?.id == "other-agent")
        }
    }
}
