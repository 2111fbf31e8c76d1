public import Foundation

/// Registered clients.
public protocol ClientStore: Sendable {
    /// Inserts a new client. - Throws: ``StorageError`` `conflict` when the id exists.
    func insert(_ client: ClientRecord) async throws
    /// Inserts or replaces (config-file clients are re-applied on every start).
    func upsert(_ client: ClientRecord) async throws
    func client(id: String) async throws -> ClientRecord?
    func all() async throws -> [ClientRecord]
    /// - Returns: whether a client was removed.
    func remove(id: String) async throws -> Bool

    /// The party whose GNAP key has this thumbprint (issue 19, "one registry"): how a GNAP client or
    /// resource server presenting its key by value is recognised. At most one party holds a key.
    func client(gnapKeyThumbprint: String) async throws -> ClientRecord?

    // MARK: Initial access tokens for dynamic registration (RFC 7591 §3)

    /// - Throws: ``StorageError`` `conflict` when the id or hash exists.
    func insertRegistrationToken(_ token: RegistrationTokenRecord) async throws
    /// Spends one use of an unexpired token with this hash, atomically.
    /// - Returns: whether a use was spent (`false`: unknown, expired or used up).
    func spendRegistrationToken(hash: String, at now: Date) async throws -> Bool
    func registrationTokens() async throws -> [RegistrationTokenRecord]
    /// - Returns: whether a token was removed.
    func removeRegistrationToken(id: String) async throws -> Bool
}

extension ClientStore {
    /// Default for stores and decorators that keep no thumbprint index: a scan of every client.
    /// - Parameter gnapKeyThumbprint: the key's RFC 7638 (or RFC 8705 certificate) thumbprint.
    /// - Returns: the party holding that key, if any.
    /// - Throws: what ``all()`` throws.
    public func client(gnapKeyThumbprint: String) async throws -> ClientRecord? {
        try await all().first { $0.gnap?.keyThumbprint == gnapKeyThumbprint }
    }
}
