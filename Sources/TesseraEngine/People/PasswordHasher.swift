import Crypto
import Foundation
import TesseraProtocol
import _CryptoExtras

/// Passwords people choose: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with 600 000 iterations (the OWASP
/// 2023 figure), a random 128-bit salt, a 256-bit output, compared in constant time.
///
/// The stored form describes itself — `pbkdf2-sha256$<iterations>$<salt>$<key>` (base64url) — so a
/// later raise of ``iterations`` still verifies older hashes.
public enum PasswordHasher {
    /// Iterations for new hashes.
    public static let iterations = 600_000
    /// Stored hashes with fewer iterations than this are refused (never accepted as weak).
    static let minimumIterations = 210_000
    /// The shortest password accepted.
    public static let minimumLength = 8

    /// The stored form of `password`.
    public static func hash(_ password: String) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let key = try derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    /// Whether `password` matches `stored`; `false` for a malformed or too weak stored form.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]),
            (minimumIterations...10_000_000).contains(iterations), let salt = Base64URL.decode(String(parts[2])),
            let expected = Base64URL.decode(String(parts[3])), expected.count == 32,
            let key = try? derive(password, salt: salt, iterations: iterations)
        else { return false }
        return ConstantTime.equals(key, expected)
    }

    /// A hash to verify against when the user does not exist, so an unknown name costs the same time
    /// as a wrong password (no user enumeration by timing).
    public static let decoy: String = (try? hash(Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }))) ?? ""

    private static func derive(_ password: String, salt: Data, iterations: Int) throws -> Data {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Data(password.utf8),
            salt: salt,
            using: .sha256,
            outputByteCount: 32,
            rounds: iterations
        )
        return key.withUnsafeBytes { Data($0) }
    }
}
