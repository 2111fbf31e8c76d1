public import Foundation
public import HTTPMessageSignatures
import Synchronization

/// A process-local nonce cache for signature replay detection (RFC 9421 §7.2.2, RFC 9635 §7.3.1). Several RS
/// instances behind a load balancer need a shared cache instead (implement ``HTTPSignatureReplayCache``).
public final class InMemoryNonceCache: HTTPSignatureReplayCache {
    private struct State {
        var seen: [String: Date] = [:]
        var lastSweep = Date.distantPast
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    /// Creates an empty cache; `now` is the wall clock used to drop expired nonces.
    public init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }

    public func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool {
        let current = now()
        let key = "\(keyID ?? "")\u{0}\(nonce)"
        return state.withLock { state in
            if current.timeIntervalSince(state.lastSweep) > 30 || state.seen.count > 100_000 {
                state.seen = state.seen.filter { $0.value > current }
                state.lastSweep = current
            }
            if let until = state.seen[key], until > current { return false }
            state.seen[key] = expiresAt
            return true
        }
    }
}
