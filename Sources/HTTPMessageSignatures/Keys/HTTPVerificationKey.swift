public import Crypto
public import _CryptoExtras

/// A public (or shared) key bound to exactly one signature algorithm (RFC 9421 §3.2 step 6, §7.3.6).
///
/// Binding the algorithm to the key is what stops algorithm confusion, e.g. an RSA public key used as an HMAC
/// secret: the verifier never takes the algorithm from the message alone.
public struct HTTPVerificationKey: Sendable {
    enum Backing: Sendable {
        case ed25519(Curve25519.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
        case hmac(SymmetricKey)
    }

    /// The only algorithm this key verifies.
    public let algorithm: HTTPSignatureAlgorithm
    /// The key identifier, if known (e.g. the JWK `kid`).
    public var keyID: String?
    let backing: Backing

    init(algorithm: HTTPSignatureAlgorithm, keyID: String?, backing: Backing) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.backing = backing
    }

    /// Binds `backing` to `algorithm` when the key fits it; ``HTTPSigningKey`` checks its public half here too.
    init(checked algorithm: HTTPSignatureAlgorithm, keyID: String?, backing: Backing) throws(HTTPSignatureError) {
        switch (algorithm.kind, backing) {
        case (.ed25519, .ed25519), (.ecdsaP256SHA256, .p256), (.ecdsaP384SHA384, .p384), (.hmacSHA256, .hmac): break
        case (.rsaPSSSHA512, .rsa(let key)), (.rsaPKCS1SHA256, .rsa(let key)), (.rsaPSSSHA256, .rsa(let key)):
            guard key.keySizeInBits >= 2048 else { throw HTTPSignatureError(.unsuitableKey, "RSA keys must have at least 2048 bits") }
        default:
            throw HTTPSignatureError(.unsuitableKey, "the key type does not fit \(algorithm)")
        }
        if case .hmac(let secret) = backing, secret.bitCount < 256 {
            throw HTTPSignatureError(.unsuitableKey, "hmac-sha256 secrets must have at least 32 bytes")
        }
        self.init(algorithm: algorithm, keyID: keyID, backing: backing)
    }

    /// An Ed25519 public key.
    public init(ed25519 key: Curve25519.Signing.PublicKey, keyID: String? = nil) {
        self.init(algorithm: .ed25519, keyID: keyID, backing: .ed25519(key))
    }

    /// A P-256 public key.
    public init(p256 key: P256.Signing.PublicKey, keyID: String? = nil) {
        self.init(algorithm: .ecdsaP256SHA256, keyID: keyID, backing: .p256(key))
    }

    /// A P-384 public key.
    public init(p384 key: P384.Signing.PublicKey, keyID: String? = nil) {
        self.init(algorithm: .ecdsaP384SHA384, keyID: keyID, backing: .p384(key))
    }

    /// An RSA public key for `rsa-pss-sha512`, `rsa-v1_5-sha256` or JWS `PS256`.
    public init(rsa key: _RSA.Signing.PublicKey, algorithm: HTTPSignatureAlgorithm, keyID: String? = nil) throws(HTTPSignatureError) {
        try self.init(checked: algorithm, keyID: keyID, backing: .rsa(key))
    }

    /// A shared secret for `hmac-sha256`.
    public init(hmacSecret: some Sequence<UInt8>, keyID: String? = nil) throws(HTTPSignatureError) {
        try self.init(checked: .hmacSHA256, keyID: keyID, backing: .hmac(SymmetricKey(data: Array(hmacSecret))))
    }

    /// Imports a public JWK (private members are ignored). The algorithm is chosen as for
    /// ``HTTPSigningKey/init(jwk:algorithm:)``.
    public init(jwk: String, algorithm: HTTPSignatureAlgorithm? = nil) throws(HTTPSignatureError) {
        let key = try JSONWebKey(json: Array(jwk.utf8))
        let chosen = try key.algorithm(explicit: algorithm)
        let backing: Backing = try HTTPSignatureError.importingKey("JWK") {
            switch key.kty {
            case "OKP" where key.crv == "Ed25519":
                return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: try key.bytes(key.x, "x")))
            case "EC" where key.crv == "P-256":
                return .p256(try P256.Signing.PublicKey(rawRepresentation: try key.bytes(key.x, "x") + key.bytes(key.y, "y")))
            case "EC" where key.crv == "P-384":
                return .p384(try P384.Signing.PublicKey(rawRepresentation: try key.bytes(key.x, "x") + key.bytes(key.y, "y")))
            case "RSA":
                return .rsa(try _RSA.Signing.PublicKey(n: try key.bytes(key.n, "n"), e: try key.bytes(key.e, "e")))
            case "oct":
                return .hmac(SymmetricKey(data: try key.bytes(key.k, "k")))
            default:
                throw HTTPSignatureError(.invalidKey, "unsupported JWK kty \(key.kty) / crv \(key.crv ?? "-")")
            }
        }
        try self.init(checked: chosen, keyID: key.kid, backing: backing)
    }

    /// Imports a public key from PEM: SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
    /// RSA keys need `algorithm`.
    public init(pem: String, algorithm: HTTPSignatureAlgorithm? = nil, keyID: String? = nil) throws(HTTPSignatureError) {
        let document = try PEMDocument(pem)
        let backing: Backing = try HTTPSignatureError.importingKey("PEM") {
            if document.contains(PEMDocument.oidEd25519) {
                guard let bits = document.spkiPublicKeyBits(), bits.count == 32 else {
                    throw HTTPSignatureError(.invalidKey, "unsupported Ed25519 public key encoding")
                }
                return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: bits))
            } else if document.contains(PEMDocument.oidP256) {
                return .p256(try P256.Signing.PublicKey(pemRepresentation: document.pemString))
            } else if document.contains(PEMDocument.oidP384) {
                return .p384(try P384.Signing.PublicKey(pemRepresentation: document.pemString))
            } else if document.label == "RSA PUBLIC KEY" || document.contains(PEMDocument.oidRSA)
                || document.contains(PEMDocument.oidRSAPSS)
            {
                return .rsa(try _RSA.Signing.PublicKey(pemRepresentation: document.pemString))
            } else {
                throw HTTPSignatureError(.invalidKey, "unsupported public key type in PEM")
            }
        }
        try self.init(checked: Self.algorithm(algorithm, forPEM: backing), keyID: keyID, backing: backing)
    }

    /// The algorithm of a PEM key (public, or the public half of a private one): `named`, else the only one
    /// its type allows; RSA keys need `named`.
    static func algorithm(_ named: HTTPSignatureAlgorithm?, forPEM backing: Backing) throws(HTTPSignatureError) -> HTTPSignatureAlgorithm {
        switch backing {
        case .ed25519: return named ?? .ed25519
        case .p256: return named ?? .ecdsaP256SHA256
        case .p384: return named ?? .ecdsaP384SHA384
        case .hmac: return named ?? .hmacSHA256
        case .rsa:
            guard let named else { throw HTTPSignatureError(.unknownAlgorithm, "RSA keys need an explicit algorithm") }
            return named
        }
    }

    /// `HTTP_VERIFY` (RFC 9421 §3.3). HMAC is compared in constant time by swift-crypto.
    func isValidSignature(_ signature: [UInt8], for base: [UInt8]) -> Bool {
        switch backing {
        case .ed25519(let key):
            return signature.count == 64 && key.isValidSignature(signature, for: base)
        case .p256(let key):
            // §3.3.4: raw r‖s, 64 bytes; DER is not accepted.
            guard signature.count == 64 else { return false }
            do {
                return key.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: base)
            } catch {
                return false
            }
        case .p384(let key):
            guard signature.count == 96 else { return false }
            do {
                return key.isValidSignature(try P384.Signing.ECDSASignature(rawRepresentation: signature), for: base)
            } catch {
                return false
            }
        case .hmac(let key):
            return signature.count == 32 && HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: base, using: key)
        case .rsa(let key):
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm.kind {
            case .rsaPSSSHA512: return key.isValidSignature(parsed, for: SHA512.hash(data: base), padding: .PSS)
            case .rsaPSSSHA256: return key.isValidSignature(parsed, for: SHA256.hash(data: base), padding: .PSS)
            default: return key.isValidSignature(parsed, for: SHA256.hash(data: base), padding: .insecurePKCS1v1_5)
            }
        }
    }
}
