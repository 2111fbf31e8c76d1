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
