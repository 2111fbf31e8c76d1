public import Crypto
import Foundation
public import _CryptoExtras

/// A private (or shared) key bound to exactly one signature algorithm (RFC 9421 §3.3, §7.3.6).
///
/// ```swift
/// let key = try HTTPSigningKey(jwk: jwkJSON)                       // algorithm from kty/crv or "alg"
/// let rsa = try HTTPSigningKey(pem: pem, algorithm: .rsaPSSSHA512)  // RSA keys need the algorithm named
/// ```
public struct HTTPSigningKey: Sendable {
    enum Backing: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
        case hmac(SymmetricKey)
    }

    /// The only algorithm this key signs with.
    public let algorithm: HTTPSignatureAlgorithm
    /// The key identifier to put in `keyid`, if known (e.g. the JWK `kid`).
    public var keyID: String?
    let backing: Backing

    /// Binds `backing` to `algorithm` when the key fits it: the check ``HTTPVerificationKey`` makes of its public half.
    private init(algorithm: HTTPSignatureAlgorithm, keyID: String?, backing: Backing) throws(HTTPSignatureError) {
        _ = try HTTPVerificationKey(checked: algorithm, keyID: keyID, backing: Self.publicBacking(backing))
        (self.algorithm, self.keyID, self.backing) = (algorithm, keyID, backing)
    }

    /// An Ed25519 key (`ed25519`).
    public init(ed25519 key: Curve25519.Signing.PrivateKey, keyID: String? = nil) {
        (self.algorithm, self.keyID, self.backing) = (.ed25519, keyID, .ed25519(key))
    }

    /// A P-256 key (`ecdsa-p256-sha256`).
    public init(p256 key: P256.Signing.PrivateKey, keyID: String? = nil) {
        (self.algorithm, self.keyID, self.backing) = (.ecdsaP256SHA256, keyID, .p256(key))
    }

    /// A P-384 key (`ecdsa-p384-sha384`).
    public init(p384 key: P384.Signing.PrivateKey, keyID: String? = nil) {
        (self.algorithm, self.keyID, self.backing) = (.ecdsaP384SHA384, keyID, .p384(key))
    }

    /// An RSA key for `rsa-pss-sha512`, `rsa-v1_5-sha256` or JWS `PS256`.
    public init(rsa key: _RSA.Signing.PrivateKey, algorithm: HTTPSignatureAlgorithm, keyID: String? = nil) throws(HTTPSignatureError) {
        try self.init(algorithm: algorithm, keyID: keyID, backing: .rsa(key))
    }

    /// A shared secret for `hmac-sha256` (at least 32 bytes).
    public init(hmacSecret: some Sequence<UInt8>, keyID: String? = nil) throws(HTTPSignatureError) {
        try self.init(algorithm: .hmacSHA256, keyID: keyID, backing: .hmac(SymmetricKey(data: Array(hmacSecret))))
    }

    /// Imports a private JWK (RFC 7517; `OKP`/Ed25519, `EC` P-256/P-384, `RSA`, `oct`).
    ///
    /// The algorithm is `algorithm`, else the JWK's `alg`, else the only one its key type allows; when both are given
    /// they must agree. ``keyID`` is the JWK `kid`.
    public init(jwk: String, algorithm: HTTPSignatureAlgorithm? = nil) throws(HTTPSignatureError) {
        let key = try JSONWebKey(json: Array(jwk.utf8))
        let chosen = try key.algorithm(explicit: algorithm)
        let backing: Backing = try HTTPSignatureError.importingKey("JWK") {
            switch key.kty {
            case "OKP" where key.crv == "Ed25519":
                return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: try key.bytes(key.d, "d")))
            case "EC" where key.crv == "P-256":
                return .p256(try P256.Signing.PrivateKey(rawRepresentation: try key.bytes(key.d, "d")))
            case "EC" where key.crv == "P-384":
                return .p384(try P384.Signing.PrivateKey(rawRepresentation: try key.bytes(key.d, "d")))
            case "RSA":
                return .rsa(
                    try _RSA.Signing.PrivateKey(
                        n: try key.bytes(key.n, "n"),
                        e: try key.bytes(key.e, "e"),
                        d: try key.bytes(key.d, "d"),
                        p: try key.bytes(key.p, "p"),
                        q: try key.bytes(key.q, "q")
                    )
                )
            case "oct":
                return .hmac(SymmetricKey(data: try key.bytes(key.k, "k")))
            default:
                throw HTTPSignatureError(.invalidKey, "unsupported JWK kty \(key.kty) / crv \(key.crv ?? "-")")
            }
        }
        try self.init(algorithm: chosen, keyID: key.kid, backing: backing)
    }

    /// Imports a private key from PEM: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    /// RSA keys need `algorithm`; for other types it defaults to the one the curve allows.
    public init(pem: String, algorithm: HTTPSignatureAlgorithm? = nil, keyID: String? = nil) throws(HTTPSignatureError) {
        let document = try PEMDocument(pem)
        let backing: Backing = try HTTPSignatureError.importingKey("PEM") {
            if document.contains(PEMDocument.oidEd25519) {
                // PKCS#8 for Ed25519 wraps the 32-byte seed in an OCTET STRING (RFC 8410 §7).
                guard let octets = document.pkcs8PrivateKeyOctets(), octets.count == 34, octets[0] == 0x04, octets[1] == 32 else {
                    throw HTTPSignatureError(.invalidKey, "unsupported Ed25519 private key encoding")
                }
                return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: octets[2...]))
            } else if document.contains(PEMDocument.oidP256) {
                return .p256(try P256.Signing.PrivateKey(pemRepresentation: document.pemString))
            } else if document.contains(PEMDocument.oidP384) {
                return .p384(try P384.Signing.PrivateKey(pemRepresentation: document.pemString))
            } else if document.label == "RSA PRIVATE KEY" || document.contains(PEMDocument.oidRSA) {
                return .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: document.pemString))
            } else if document.contains(PEMDocument.oidRSAPSS), let pkcs1 = document.pkcs8PrivateKeyOctets() {
                // PKCS#8 with the id-RSASSA-PSS OID (RFC 4055), as RFC 9421's test-key-rsa-pss: the inner
                // RSAPrivateKey is ordinary PKCS#1.
                return .rsa(try _RSA.Signing.PrivateKey(derRepresentation: pkcs1))
            } else {
                throw HTTPSignatureError(.invalidKey, "unsupported private key type in PEM")
            }
        }
        let chosen = try HTTPVerificationKey.algorithm(algorithm, forPEM: Self.publicBacking(backing))
        try self.init(algorithm: chosen, keyID: keyID, backing: backing)
    }

    /// The matching verification key, bound to the same algorithm.
    public var verificationKey: HTTPVerificationKey {
        HTTPVerificationKey(algorithm: algorithm, keyID: keyID, backing: Self.publicBacking(backing))
    }

    /// The public half of `backing` (a shared secret is its own).
    private static func publicBacking(_ backing: Backing) -> HTTPVerificationKey.Backing {
        switch backing {
        case .ed25519(let key): .ed25519(key.publicKey)
        case .p256(let key): .p256(key.publicKey)
        case .p384(let key): .p384(key.publicKey)
        case .rsa(let key): .rsa(key.publicKey)
        case .hmac(let key): .hmac(key)
        }
    }

    /// `HTTP_SIGN` (RFC 9421 §3.3) over the signature base.
    /// The signature over `base`, as the primitive returns it (no copy into an array).
    func sign(_ base: [UInt8]) throws(HTTPSignatureError) -> Data {
        do {
            switch backing {
            case .ed25519(let key): return try key.signature(for: base)
            case .p256(let key): return try key.signature(for: base).rawRepresentation
            case .p384(let key): return try key.signature(for: base).rawRepresentation
            case .hmac(let key): return Data(HMAC<SHA256>.authenticationCode(for: base, using: key))
            case .rsa(let key):
                switch algorithm.kind {
                case .rsaPSSSHA512: return try key.signature(for: SHA512.hash(data: base), padding: .PSS).rawRepresentation
                case .rsaPSSSHA256: return try key.signature(for: SHA256.hash(data: base), padding: .PSS).rawRepresentation
                default:
                    return try key.signature(for: SHA256.hash(data: base), padding: .insecurePKCS1v1_5).rawRepresentation
                }
            }
        } catch {
            throw HTTPSignatureError(.signingFailed, "the signature primitive failed")
        }
    }
}
