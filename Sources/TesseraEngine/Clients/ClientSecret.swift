import Crypto
import Foundation
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
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sha256", let salt = Base64URL.decode(parts[1]),
            let expected = Base64URL.decode(parts[2])
        else { return false }
        return ConstantTime.equals(Data(digest(secret, salt: salt)), expected)
    }

    private static func digest(_ secret: String, salt: Data) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Data(secret.utf8))
        return hasher.finalize()
    }
}
