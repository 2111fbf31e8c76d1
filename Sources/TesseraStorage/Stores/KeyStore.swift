public import Foundation

/// The server's signing keys.
public protocol KeyStore: Sendable {
    func insert(_ key: SigningKeyRecord) async throws
    /// Every key, newest first.
    func all() async throws -> [SigningKeyRecord]
    /// Marks every key except `kid` as retired at `now` (if not retired already).
    func retireAll(except kid: String, at now: Date) async throws
}
