public import Foundation
import TesseraProtocol

/// Verifiers for clients' `jwks_uri` keys, cached and refreshed (at most once per ``minimumRefetchInterval``
/// when an assertion names an unknown `kid`). Losing the cache is safe: it is refilled from the URL.
public actor ClientKeyCache {
    private struct Entry {
        var keys: Keys
        var fetchedAt: Date
    }

    /// A fetched key set: its verifier, and what it is, whatever its order or key ids.
    struct Keys {
        var verifier: JWSVerifier
        /// The set's RFC 7638 §3 thumbprints, sorted.
        var thumbprints: [String]
    }

    private let fetcher: any JWKSFetcher
    private let now: @Sendable () -> Date
    private var entries: [String: Entry] = [:]
    public var timeToLive: TimeInterval = 300
    public var minimumRefetchInterval: TimeInterval = 30

    public init(fetcher: any JWKSFetcher, now: @escaping @Sendable () -> Date, minimumRefetchInterval: TimeInterval = 30) {
        self.fetcher = fetcher
        self.now = now
        self.minimumRefetchInterval = minimumRefetchInterval
    }

    /// A verifier for the keys at `url`; refetched when stale, or when `kid` is unknown and the last fetch is old enough.
    func verifier(for url: String, kid: String?) async throws -> JWSVerifier { try await keys(for: url, kid: kid).verifier }

    /// The keys at `url`, as ``verifier(for:kid:)`` fetches them.
    func keys(for url: String, kid: String?) async throws -> Keys {
        let current = now()
        if let entry = entries[url], current.timeIntervalSince(entry.fetchedAt) < timeToLive {
            let knowsKid = kid.map { entry.keys.verifier.knows(kid: $0) } ?? true
            if knowsKid || current.timeIntervalSince(entry.fetchedAt) < minimumRefetchInterval { return entry.keys }
        }
        let set = try await fetcher.fetchJWKS(from: url)
        let keys = Keys(verifier: try await JWSVerifier(keys: set), thumbprints: set.keys.compactMap { try? $0.thumbprint() }.sorted())
        entries[url] = Entry(keys: keys, fetchedAt: current)
        return keys
    }
}
