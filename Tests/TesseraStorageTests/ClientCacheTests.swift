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
}
