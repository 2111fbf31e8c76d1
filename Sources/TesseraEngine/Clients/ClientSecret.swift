import Crypto
public import Foundation
import Synchronization
import TesseraProtocol

/// Client secrets: generated with 256 bits of entropy, stored as a salted SHA-256.
///
/// A slow password KDF buys nothing for a high-entropy random secret (nobody can enumerate
/// 2^256 candidates) and would cost milliseconds on every token request; a salted SHA-256
/// verifies in about a microsecond. Secrets that people choose must be at least
/// ``minimumLength`` characters. Comparison is constant-time.
public enum ClientSecret {
    /// The shortest secret accepted from an operator.
    public static let minimumLength = 32

    /// A new random secret: 32 bytes from the system CSPRNG, base64url (43 characters).
    public static func generate() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// The stored form: `sha256$<salt>$<digest>`, both base64url.
    public static func hash(_ secret: String) -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        return "sha256$\(Base64URL.encode(salt))$\(Base64URL.encode(digest(secret, salt: salt)))"
    }

    /// Checks a presented secret against the stored hash in constant time.
    public static func verify(_ secret: String, against stored: String) -> Bool {
        guard let parsed = parsed(stored) else { return false }
        return parsed.matches(secret)
    }

    /// Stored hashes already taken apart (issue 22: decoding them showed as ~3 % of a token request). Keyed by the
    /// stored text, which holds no secret; bounded, emptied when full.
    private static let parsedHashes = Mutex<[String: Stored]>([:])

    private static func parsed(_ stored: String) -> Stored? {
        if let known = parsedHashes.withLock({ $0[stored] }) { return known }
        guard let parsed = Stored(stored) else { return nil }
        parsedHashes.withLock { cache in
            if cache.count >= 1024 { cache.removeAll(keepingCapacity: true) }
            cache[stored] = parsed
        }
        return parsed
    }

    /// A stored hash taken apart once: the salt and the expected digest (issue 22: a client cache keeps
    /// this, so a token request does not decode base64url on every check).
    public struct Stored: Sendable, Hashable {
        let salt: Data
        let expected: Data

        /// Takes a stored hash apart; `nil` when the text is not such a hash.
        /// - Parameter stored: `sha256$<salt>$<digest>`, as ``ClientSecret/hash(_:)`` writes it.
        public init?(_ stored: String) {
            let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "sha256", let salt = Base64URL.decode(parts[1]),
                let expected = Base64URL.decode(parts[2])
            else { return nil }
            self.salt = salt
            self.expected = expected
        }

        /// Whether `secret` hashes to the stored digest, compared in constant time.
        /// - Parameter secret: The presented secret.
        /// - Returns: Whether it matches.
        public func matches(_ secret: String) -> Bool {
            let computed = digest(secret, salt: salt)
            return computed.withUnsafeBytes { computed in
                expected.withUnsafeBytes { expected in ConstantTime.equals(computed, expected) }
            }
        }
    }

    private static func digest(_ secret: String, salt: Data) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(data: salt)
        var secret = secret
        secret.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hasher.finalize()
    }
}
