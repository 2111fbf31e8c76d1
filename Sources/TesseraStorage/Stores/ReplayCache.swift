public import Foundation

/// Single-use values (`jti` of client assertions, nonces) remembered until they expire.
public protocol ReplayCache: Sendable {
    /// Remembers `value` in `namespace` until `expiresAt`.
    /// - Returns: `true` when the value was new, `false` when it was seen before and has not expired (a replay).
    func insertIfAbsent(namespace: String, value: String, expiresAt: Date, now: Date) async throws -> Bool
}
