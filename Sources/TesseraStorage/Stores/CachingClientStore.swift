public import Foundation
import Synchronization

/// A store that can say, with one small read, whether any client changed since it last asked: a counter that every
/// insert, update and delete on the clients bumps in the same transaction (migration 15), whichever process wrote.
public protocol ClientChangeFeed: Sendable {
    /// The current value of the clients' change counter.
    /// - Returns: A number that differs from every earlier answer once any client was added, changed or removed.
    /// - Throws: Store failures.
    func clientChangeSequence() async throws -> Int64
}

/// A ``ClientStore`` that keeps the clients it has read in memory (issue 22), so a token, introspection or
/// revocation request does not read its client's row every time.
///
/// Why it cannot serve a stale client for long, on any instance:
/// - a change made through this instance (registration, `upsert`, `remove`) empties the cache before it returns;
/// - a change made anywhere else (another instance, `tessera clients`, an import) bumps the store's change counter
///   (``ClientChangeFeed``); the cache reads that counter again once ``recheckInterval`` has passed since its last
///   read and empties itself when it moved. The default interval is zero: every lookup reads the one-row counter
///   (much cheaper than the client's row) and a client deleted, re-keyed or narrowed anywhere is refused on the very
///   next request, as without a cache (docs/SECURITY.md). A positive interval trades that for fewer reads.
/// - lookups that find nothing are never cached: a client registered anywhere is found on the next request.
/// - when the counter cannot be read, nothing is served from memory (the row is read as without the cache).
public final class CachingClientStore: ClientStore {
    /// How long a counter read vouches for the cached clients.
    public let recheckInterval: Duration
    /// The most clients kept; beyond it, lookups go to the store (the cache empties at the next change).
    public let capacity: Int
    private let base: any ClientStore & ClientChangeFeed
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    /// How a client was looked up: the two lookups are cached side by side.
    private enum Key: Hashable {
        case id(String)
        case thumbprint(String)
    }

    private struct State {
        var entries: [Key: ClientRecord] = [:]
        var sequence: Int64?
        var checkedAt: ContinuousClock.Instant?
        /// Bumped whenever the entries are dropped, so a read that raced a change is not cached.
        var generation: UInt64 = 0

        mutating func drop() {
            entries.removeAll()
            generation &+= 1
        }
    }

    /// - Parameters:
    ///   - base: The store, with its change counter.
    ///   - recheckInterval: How long one read of the change counter vouches for the cache.
    ///   - capacity: The most clients kept in memory.
    ///   - now: The monotonic clock (tests move it by hand).
    public init(
        base: any ClientStore & ClientChangeFeed,
        recheckInterval: Duration = .zero,
        capacity: Int = 10_000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.base = base
        self.recheckInterval = recheckInterval
        self.capacity = capacity
        self.now = now
    }

    /// The store behind the cache: every read goes to the database (tools, and tests that build their own cache).
    public var uncached: any ClientStore & ClientChangeFeed { base }

    public func client(id: String) async throws -> ClientRecord? {
        try await lookup(key: .id(id)) { try await $0.client(id: id) }
    }

    public func insert(_ client: ClientRecord) async throws {
        defer { invalidate() }
        try await base.insert(client)
    }

    public func upsert(_ client: ClientRecord) async throws {
        defer { invalidate() }
        try await base.upsert(client)
    }

    public func all() async throws -> [ClientRecord] {
        try await base.all()
    }

    /// Cached like a lookup by ID (a GNAP key presented by value names its instance on every grant request), under the
    /// same change counter: a key re-assigned, an instance removed anywhere is seen at the next counter read.
    public func client(gnapKeyThumbprint: String) async throws -> ClientRecord? {
        try await lookup(key: .thumbprint(gnapKeyThumbprint)) { try await $0.client(gnapKeyThumbprint: gnapKeyThumbprint) }
    }

    public func remove(id: String) async throws -> Bool {
        defer { invalidate() }
        return try await base.remove(id: id)
    }

    public func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws {
        try await base.insertRegistrationToken(token)
    }

    public func spendRegistrationToken(hash: String, at now: Date) async throws -> Bool {
        try await base.spendRegistrationToken(hash: hash, at: now)
    }

    public func registrationTokens() async throws -> [RegistrationTokenRecord] {
        try await base.registrationTokens()
    }

    public func removeRegistrationToken(id: String) async throws -> Bool {
        try await base.removeRegistrationToken(id: id)
    }

    /// The cached answer for `key` when the change counter vouches for it, else `read` from the store (cached when found).
    ///
    /// The counter is read first (unless a read within ``recheckInterval`` vouches for the cache): when it has not moved
    /// since the entry was cached, no client changed anywhere, so the entry is what the store would answer and the
    /// client's row is not read (issue 22: with the default interval of zero this is the only read per lookup).
    private func lookup(
        key: Key,
        read: (any ClientStore & ClientChangeFeed) async throws -> ClientRecord?
    ) async throws -> ClientRecord? {
        let started = now()
        let (cached, generation, current) = state.withLock { state in
            let current = state.checkedAt.map { started - $0 < recheckInterval } ?? false
            return (current ? state.entries[key] : nil, state.generation, current)
        }
        if let cached { return cached }
        var cacheable = true
        var before = generation
        if !current {
            do {
                let sequence = try await base.clientChangeSequence()
                let vouched: ClientRecord? = state.withLock { state in
                    if state.sequence != sequence {
                        state.drop()
                        state.sequence = sequence
                    }
                    // The time the read began: a change committed after it is caught at the next recheck.
                    if state.checkedAt.map({ $0 < started }) ?? true { state.checkedAt = started }
                    before = state.generation
                    // Cached under this very counter value (a move drops every entry first): still what the store holds.
                    return state.entries[key]
                }
                if let vouched { return vouched }
            } catch {
                state.withLock { state in
                    state.drop()
                    state.checkedAt = nil
                }
                cacheable = false
            }
        }
        let record = try await read(base)
        if cacheable, let record {
            state.withLock { state in
                if state.generation == before, state.entries.count < capacity { state.entries[key] = record }
            }
        }
        return record
    }

    /// Drops every cached client (a change through this instance, whether or not it succeeded).
    private func invalidate() {
        state.withLock { state in
            state.drop()
            state.checkedAt = nil
        }
    }
}
