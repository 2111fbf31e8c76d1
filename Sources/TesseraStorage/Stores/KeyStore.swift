public import Foundation

/// The server's signing keys.
public protocol KeyStore: Sendable {
    func insert(_ key: SigningKeyRecord) async throws
    /// Inserts `key` only when the store holds no key at all, as one claimed step: of instances
    /// starting together on an empty database exactly one creates the first key.
    /// - Returns: whether `key` was inserted (`false`: another key was already there).
    func insertFirst(_ key: SigningKeyRecord) async throws -> Bool
    /// Every key, newest first.
    func all() async throws -> [SigningKeyRecord]
    /// Marks every key except `kid` as retired at `now` (if not retired already).
    func retireAll(except kid: String, at now: Date) async throws
    /// Replaces the stored private JWK of `kid` (its encryption at rest changed). - Returns: whether the key exists.
    func replacePrivateJWK(kid: String, with privateJWK: String) async throws -> Bool
    /// Rewrites the key storage so that values replaced by ``replacePrivateJWK(kid:with:)`` (plaintext
    /// keys now sealed) no longer linger in free pages or old row versions of the database files:
    /// SQLite `VACUUM` and a truncating WAL checkpoint, PostgreSQL `VACUUM FULL signing_keys`.
    func eraseReplacedKeyMaterial() async throws
}
