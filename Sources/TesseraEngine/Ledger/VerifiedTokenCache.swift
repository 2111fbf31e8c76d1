import Crypto
import Foundation
import Synchronization
import TesseraProtocol

/// Access tokens whose signature, `typ` and `iss` this instance has already checked (issue 22), keyed by the
/// SHA-256 of the token, so introspection and exchange of the same token do not verify ES256 again.
///
/// Only the outcome of the signature check is kept — a pure function of the token and the signing keys — never
/// whether the token is active: the ledger still reads the token's record on every request, so a revocation made on
/// any instance (and its cascade, docs/SECURITY.md) is honoured on the very next request. An entry lasts until the
/// token's `exp` and only as long as the key ring has not changed since it was checked (``KeyRing/keysGeneration``),
/// so removing a key also stops what it signed. At most ``capacity`` entries; expired ones are dropped when full.
final class VerifiedTokenCache: Sendable {
    /// What a verified token says: its `jti` and its claims.
    struct Verified: Sendable {
        let jti: String
        let claims: JWTClaimSet
    }

    struct Key: Hashable, Sendable {
        let digest: SHA256Digest
        init(_ token: String) {
            var token = token
            digest = token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        }
    }

    private struct Entry: Sendable {
        let verified: Verified
        let expiresAt: Int
        let generation: UInt64
    }

    let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// - Returns: the cached verification of `key` if it was made with the same keys and the token has not expired.
    func lookup(_ key: Key, generation: UInt64, now: Date) -> Verified? {
        let seconds = Int(now.timeIntervalSince1970)
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.generation == generation, entry.expiresAt > seconds else {
                entries[key] = nil
                return nil
            }
            return entry.verified
        }
    }

    /// Remembers a verification made with the keys of `generation`; tokens without `exp` are not kept.
    func insert(_ key: Key, _ verified: Verified, generation: UInt64, now: Date) {
        guard let expiresAt = verified.claims.numericDate("exp") else { return }
        let seconds = Int(now.timeIntervalSince1970)
        guard expiresAt > seconds else { return }
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expiresAt > seconds && $0.value.generation == generation }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(verified: verified, expiresAt: expiresAt, generation: generation)
        }
    }
}
