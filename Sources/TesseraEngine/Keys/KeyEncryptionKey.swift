import Crypto
import Foundation
import TesseraProtocol

/// The key-encryption key (KEK) that protects signing keys at rest: a 256-bit AES key the operator
/// keeps outside the database (a file or an environment variable). Private JWKs are stored sealed
/// with AES-256-GCM under it (NIST SP 800-38D), so a copy of the database alone — a backup, a dump,
/// a replica — does not let anyone sign tokens.
public struct KeyEncryptionKey: Sendable {
    /// Names the KEK in every envelope it seals: the first 8 bytes of SHA-256 over a label and the key, in hex.
    /// It identifies the key without revealing it, so a wrong KEK is told apart from altered data.
    public let id: String
    let key: SymmetricKey

    /// - Parameter text: 32 bytes as base64 (standard or URL alphabet, padding optional) or as 64 hex digits;
    ///   surrounding whitespace (a file's final newline) is ignored.
    /// - Throws: ``KeyEncryptionError`` `invalidKey` for anything else.
    public init(text: String) throws(KeyEncryptionError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: Data?
        if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            var data = Data()
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                data.append(UInt8(trimmed[index..<next], radix: 16) ?? 0)
                index = next
            }
            bytes = data
        } else {
            var base64 = trimmed.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            bytes = Data(base64Encoded: base64)
        }
        guard let bytes, bytes.count == 32 else {
            throw KeyEncryptionError(
                .invalidKey,
                "the key-encryption key must be 32 random bytes, as base64 or 64 hex digits (e.g. `openssl rand -base64 32`)"
            )
        }
        self.key = SymmetricKey(data: bytes)
        let digest = SHA256.hash(data: Data("tessera-kek-id".utf8) + bytes)
        self.id = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a private key could not be sealed or opened. ``description`` never holds key material.
public struct KeyEncryptionError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let value: String
        private init(_ value: String) { self.value = value }
        /// The configured KEK is not 32 bytes of base64 or hex.
        public static let invalidKey = Code("invalidKey")
        /// A stored key is encrypted and no KEK is configured.
        public static let missingKey = Code("missingKey")
        /// A stored key is encrypted under another KEK than the configured one.
        public static let wrongKey = Code("wrongKey")
        /// The envelope is malformed or does not authenticate under the KEK it names (altered data).
        public static let corrupt = Code("corrupt")
        public var description: String { value }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// The stored form of a private JWK under a KEK: `tessera-kek:v1:<kek id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
///
/// AES-256-GCM with a random 96-bit nonce; the key's `kid` is the additional authenticated data, so
/// a sealed key moved onto another key's row does not open. A stored value that does not start with
/// the prefix is a plaintext JWK (written before encryption was configured).
public enum PrivateKeyEnvelope {
    static let prefix = "tessera-kek:v1:"

    /// Whether `stored` is sealed, and under which KEK.
    public static func keyID(of stored: String) -> String? {
        guard stored.hasPrefix(prefix) else { return nil }
        return stored.dropFirst(prefix.count).split(separator: ":", maxSplits: 1).first.map(String.init)
    }

    /// Seals a private JWK for the row of `kid`.
    public static func seal(_ privateJWK: String, kid: String, with kek: KeyEncryptionKey) throws(KeyEncryptionError) -> String {
        do {
            let box = try AES.GCM.seal(Data(privateJWK.utf8), using: kek.key, authenticating: Data(kid.utf8))
            guard let combined = box.combined else { throw KeyEncryptionError(.corrupt, "AES-GCM gave no combined form") }
            return prefix + kek.id + ":" + Base64URL.encode(combined)
        } catch let error as KeyEncryptionError {
            throw error
        } catch {
            throw KeyEncryptionError(.corrupt, "signing key \(kid) could not be encrypted")
        }
    }

    /// The private JWK of the row `kid`: opened with `kek` when sealed, as stored when plaintext.
    /// - Throws: ``KeyEncryptionError`` `missingKey`, `wrongKey` or `corrupt`, naming the key and the KEK ids.
    public static func open(_ stored: String, kid: String, with kek: KeyEncryptionKey?) throws(KeyEncryptionError) -> String {
        guard stored.hasPrefix(prefix) else { return stored }
        let parts = stored.dropFirst(prefix.count).split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { throw KeyEncryptionError(.corrupt, "signing key \(kid) has a malformed encrypted form") }
        let sealedUnder = String(parts[0])
        guard let kek else {
            throw KeyEncryptionError(
                .missingKey,
                "signing key \(kid) is encrypted under key-encryption key \(sealedUnder), and none is configured: set TESSERA_KEY_ENCRYPTION_KEY, TESSERA_KEY_ENCRYPTION_KEY_FILE or keys.encryption_key_file"
            )
        }
        guard sealedUnder == kek.id else {
            throw KeyEncryptionError(
                .wrongKey,
                "signing key \(kid) is encrypted under key-encryption key \(sealedUnder), but the configured one is \(kek.id): configure the key it was sealed with (or re-encrypt with tessera keys encrypt --previous-key-file)"
            )
        }
        guard let combined = Base64URL.decode(parts[1]), let box = try? AES.GCM.SealedBox(combined: combined),
            let plain = try? AES.GCM.open(box, using: kek.key, authenticating: Data(kid.utf8))
        else {
            throw KeyEncryptionError(
                .corrupt,
                "signing key \(kid) does not decrypt under key-encryption key \(kek.id): the stored value was altered"
            )
        }
        return String(decoding: plain, as: UTF8.self)
    }
}
