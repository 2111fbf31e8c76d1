public import Foundation
import TesseraProtocol

/// Verifiers for clients' `jwks_uri` keys, cached and refreshed (at most once per ``minimumRefetchInterval``
/// when an assertion names an unknown `kid`). Losing the cache is safe: it is refilled from the URL.
public actor ClientKeyCache {
    private struct Entry {
        var verifier: JWSVerifier
        var fetchedAt: Date
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
    func verifier(for url: String, kid: String?) async throws -> JWSVerifier {
        let current = now()
        if let entry = entries[url], current.timeIntervalSince(entry.fetchedAt) < timeToLive {
            let knowsKid = kid.map { entry.verifier.knows(kid: $0) } ?? true
            if knowsKid || current.timeIntervalSince(entry.fetchedAt) < minimumRefetchInterval { return entry.verifier }
        }
        let verifier = try await JWSVerifier(keys: try await fetcher.fetchJWKS(from: url))
        entries[url] = Entry(verifier: verifier, fetchedAt: current)
        return verifier
    }
}
