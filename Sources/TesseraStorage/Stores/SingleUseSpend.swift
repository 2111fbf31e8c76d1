public import Foundation

/// A single-use value spent together with the record that uses it (``TokenStore/record(_:spending:)``): a JWT
/// authorization grant's or an ID-JAG's `jti` (RFC 7523 §3 item 7), remembered in the replay cache until it expires.
public struct SingleUseSpend: Sendable, Hashable {
    /// The replay cache's namespace (e.g. `jwt_grant:` + the issuer): values of different issuers never collide.
    public var namespace: String
    /// The value spent (the `jti`).
    public var value: String
    /// Until when the value stays spent (the grant's `exp` plus the accepted clock skew).
    public var expiresAt: Date
    /// The current time: an entry that expired before it no longer protects anything and is taken over.
    public var now: Date

    /// - Parameters:
    ///   - namespace: The replay cache's namespace.
    ///   - value: The value spent.
    ///   - expiresAt: Until when it stays spent.
    ///   - now: The current time.
    public init(namespace: String, value: String, expiresAt: Date, now: Date) {
        self.namespace = namespace
        self.value = value
        self.expiresAt = expiresAt
        self.now = now
    }
}
