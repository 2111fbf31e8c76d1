import Crypto
public import Foundation
public import HTTPMessageSignatures

/// A private key that signs GNAP messages with the `httpsig` proofing method (RFC 9635 §7.3.1), with
/// the public JWK it is presented as (RFC 9635 §7.1: `alg` and `kid` always set).
///
/// Client instances (RFC 9635 §2.3) and resource servers calling the AS (RFC 9767 §3.2) both use it.
///
/// ```swift
/// let key = GNAPKeyPair.generate(.ed25519)
/// try FileManager.default.createFile(atPath: path, contents: Data(key.privateJWKJSON().utf8))
/// let again = try GNAPKeyPair(privateJWK: String(decoding: data, as: UTF8.self))
/// ```
public struct GNAPKeyPair: Sendable {
    /// Supported key types: Ed25519 (`EdDSA`) and P-256 (`ES256`).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case ed25519, p256 }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// Ed25519, JWS `EdDSA`, HTTP signature `ed25519`.
        public static let ed25519 = Kind(.ed25519)
        /// P-256, JWS `ES256`, HTTP signature `ecdsa-p256-sha256`.
        public static let p256 = Kind(.p256)
        public var description: String { value.rawValue }
        /// Parses `ed25519` or `p256` (also `EdDSA`, `ES256`, `P-256`).
        public init?(_ name: String) {
            switch name.lowercased() {
            case "ed25519", "eddsa": self = .ed25519
            case "p256", "p-256", "es256": self = .p256
            default: return nil
            }
        }
    }

    private enum Backing: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
    }

    private let backing: Backing
    /// The public JWK, with `alg` and `kid`.
    public let publicJWK: PublicJWK
    /// The key as the HTTP message signer uses it (`keyid` = the JWK's `kid`).
    public let signingKey: HTTPSigningKey

    private init(backing: Backing, keyID: String?) throws(JOSEError) {
        var jwk: PublicJWK
        switch backing {
        case .ed25519(let key):
            jwk = PublicJWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(key.publicKey.rawRepresentation), alg: "EdDSA")
        case .p256(let key):
            let raw = key.publicKey.rawRepresentation
            jwk = PublicJWK(
                kty: "EC",
                crv: "P-256",
                x: Base64URL.encode(raw.prefix(32)),
                y: Base64URL.encode(raw.suffix(32)),
                alg: "ES256"
            )
        }
        // RFC 9635 §7.1 needs a kid; the RFC 7638 thumbprint is a stable, collision-free default.
        if let keyID { jwk.kid = keyID } else { jwk.kid = try jwk.thumbprint() }
        self.backing = backing
        self.publicJWK = jwk
        switch backing {
        case .ed25519(let key): signingKey = HTTPSigningKey(ed25519: key, keyID: jwk.kid)
        case .p256(let key): signingKey = HTTPSigningKey(p256: key, keyID: jwk.kid)
        }
    }

    /// Generates a fresh key; `keyID` defaults to the RFC 7638 thumbprint.
    public static func generate(_ kind: Kind = .ed25519, keyID: String? = nil) -> GNAPKeyPair {
        let backing: Backing = kind == .p256 ? .p256(P256.Signing.PrivateKey()) : .ed25519(Curve25519.Signing.PrivateKey())
        do {
            return try GNAPKeyPair(backing: backing, keyID: keyID)
        } catch {
            // A freshly generated key always has the members a thumbprint needs.
            preconditionFailure("thumbprint of a generated key failed: \(error)")
        }
    }

    /// Loads a private JWK (`OKP`/`Ed25519` or `EC`/`P-256` with `d`), as written by ``privateJWKJSON()``.
    ///
    /// - Throws: ``JOSEError`` `invalidKey` when the JSON is not such a key, or the public members do not
    ///   match the private key.
    public init(privateJWK json: String) throws(JOSEError) {
        struct PrivateJWK: Decodable {
            var kty: String; var crv: String?; var x: String?; var y: String?; var d: String?; var kid: String?; var alg: String?
        }
        let jwk: PrivateJWK
        do {
            jwk = try JSONDecoder().decode(PrivateJWK.self, from: Data(json.utf8))
        } catch {
            throw JOSEError(.invalidKey, "not a JSON Web Key")
        }
        guard let dValue = jwk.d, let d = Base64URL.decode(dValue) else {
            throw JOSEError(.invalidKey, "the JWK has no private member d")
        }
        let backing: Backing
        do {
            switch (jwk.kty, jwk.crv) {
            case ("OKP", "Ed25519"):
                guard jwk.alg == nil || jwk.alg == "EdDSA" || jwk.alg == "Ed25519" else {
                    throw JOSEError(.invalidKey, "an Ed25519 key must use alg EdDSA")
                }
                backing = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: d))
            case ("EC", "P-256"):
                guard jwk.alg == nil || jwk.alg == "ES256" else { throw JOSEError(.invalidKey, "a P-256 key must use alg ES256") }
                backing = .p256(try P256.Signing.PrivateKey(rawRepresentation: d))
            default:
                throw JOSEError(.invalidKey, "unsupported key type \(jwk.kty)/\(jwk.crv ?? "-"); use Ed25519 or P-256")
            }
        } catch let error as JOSEError {
            throw error
        } catch {
            throw JOSEError(.invalidKey, "the private key bytes were refused")
        }
        try self.init(backing: backing, keyID: jwk.kid)
        if let x = jwk.x, x != publicJWK.x { throw JOSEError(.invalidKey, "the JWK's x does not match its d") }
        if let y = jwk.y, y != publicJWK.y { throw JOSEError(.invalidKey, "the JWK's y does not match its d") }
    }

    /// Which kind of key this is.
    public var kind: Kind {
        switch backing {
        case .ed25519: .ed25519
        case .p256: .p256
        }
    }

    /// The private JWK as JSON, for saving to a file the user protects (contains the private key).
    public func privateJWKJSON() -> String {
        let d: String
        switch backing {
        case .ed25519(let key): d = Base64URL.encode(key.rawRepresentation)
        case .p256(let key): d = Base64URL.encode(key.rawRepresentation)
        }
        var members: [(String, String)] = [("kty", publicJWK.kty)]
        if let crv = publicJWK.crv { members.append(("crv", crv)) }
        if let x = publicJWK.x { members.append(("x", x)) }
        if let y = publicJWK.y { members.append(("y", y)) }
        members.append(("d", d))
        if let kid = publicJWK.kid { members.append(("kid", kid)) }
        if let alg = publicJWK.alg { members.append(("alg", alg)) }
        return "{" + members.map { "\"\($0.0)\":\(Self.jsonString($0.1))" }.joined(separator: ",") + "}"
    }

    /// The key as presented in a grant request or RS call: `{"proof": "httpsig", "jwk": {…}}` (RFC 9635 §7.1).
    public var gnapKey: GNAPKey { GNAPKey(proof: .httpsig, jwk: publicJWK) }

    /// The RFC 7638 thumbprint of the public key (what an AS puts in `cnf.jkt`).
    public func thumbprint() throws(JOSEError) -> String { try publicJWK.thumbprint() }

    /// Signs a request with the GNAP httpsig profile (RFC 9635 §7.3.1): covers `@method` and `@target-uri`,
    /// `authorization` when the request presents a token, and `content-digest` (SHA-256, added to the
    /// request) when it has content; parameters `created`, `keyid`, a fresh `nonce` and `tag="gnap"`, no `alg`.
    ///
    /// - Parameters:
    ///   - request: The request to sign; `Content-Digest`, `Signature-Input` and `Signature` are appended.
    ///   - now: The wall clock for `created`.
    /// - Throws: ``HTTPSignatureError`` if a covered component cannot be computed.
    public func sign(_ request: inout HTTPSignatureRequest, now: @escaping @Sendable () -> Date) throws(HTTPSignatureError) {
        try signer(now: now).sign(&request)
    }

    /// A reusable signer for this key (cheaper than ``sign(_:now:)`` when signing many requests).
    public func signer(now: @escaping @Sendable () -> Date) -> GNAPRequestSigner {
        GNAPRequestSigner(signer: HTTPMessageSigner(key: signingKey, configuration: .gnap, now: now))
    }

    private static func jsonString(_ value: String) -> String {
        // Key members are base64url, curve and algorithm names, or a kid; escape the kid fully to be safe.
        let encoded = (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
        return encoded ?? "\"\""
    }
}

/// Signs requests with the GNAP httpsig profile (RFC 9635 §7.3.1). See ``GNAPKeyPair/sign(_:now:)``.
public struct GNAPRequestSigner: Sendable {
    let signer: HTTPMessageSigner

    /// Signs `request`: `@method`, `@target-uri`, `authorization` if present, `content-digest` if there is content.
    public func sign(_ request: inout HTTPSignatureRequest) throws(HTTPSignatureError) {
        var components: [HTTPSignatureComponent] = [.method, .targetURI]
        if request.headerValue("authorization") != nil { components.append(.field("authorization")) }
        try signer.sign(&request, components: components)
    }
}
