import Crypto
public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// Makes new server signing keys. The `kid` is the key's RFC 7638 thumbprint.
public enum SigningKeyGenerator {
    /// The algorithms Tessera can generate keys for and sign tokens with.
    public static let supportedAlgorithms: [JWSAlgorithm] = [.es256, .es384, .edDSA]

    /// - Throws: ``JOSEError`` `algorithmNotAllowed` for an algorithm Tessera cannot generate.
    public static func generate(_ algorithm: JWSAlgorithm, now: Date) throws(JOSEError) -> SigningKeyRecord {
        var publicKey: PublicJWK
        let d: String
        switch algorithm {
        case .es256:
            let key = P256.Signing.PrivateKey()
            let point = key.publicKey.x963Representation.dropFirst()
            publicKey = PublicJWK(kty: "EC", crv: "P-256", x: Base64URL.encode(point.prefix(32)), y: Base64URL.encode(point.suffix(32)))
            d = Base64URL.encode(key.rawRepresentation)
        case .es384:
            let key = P384.Signing.PrivateKey()
            let point = key.publicKey.x963Representation.dropFirst()
            publicKey = PublicJWK(kty: "EC", crv: "P-384", x: Base64URL.encode(point.prefix(48)), y: Base64URL.encode(point.suffix(48)))
            d = Base64URL.encode(key.rawRepresentation)
        case .edDSA:
            let key = Curve25519.Signing.PrivateKey()
            publicKey = PublicJWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(key.publicKey.rawRepresentation))
            d = Base64URL.encode(key.rawRepresentation)
        default:
            throw JOSEError(.algorithmNotAllowed, "cannot generate \(algorithm) keys (supported: ES256, ES384, EdDSA)")
        }
        let kid = try publicKey.thumbprint()
        publicKey.kid = kid
        publicKey.alg = algorithm.rawValue
        publicKey.use = "sig"
        let privateJWK = PrivateJWK(public: publicKey, d: d)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let publicJSON = try? encoder.encode(publicKey), let privateJSON = try? encoder.encode(privateJWK) else {
            throw JOSEError(.invalidKey, "the generated key could not be encoded")
        }
        return SigningKeyRecord(
            kid: kid,
            algorithm: algorithm.rawValue,
            privateJWK: String(decoding: privateJSON, as: UTF8.self),
            publicJWK: String(decoding: publicJSON, as: UTF8.self),
            createdAt: now
        )
    }

    private struct PrivateJWK: Encodable {
        var `public`: PublicJWK
        var d: String

        func encode(to encoder: any Encoder) throws {
            try `public`.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(d, forKey: .d)
        }

        enum Key: String, CodingKey { case d }
    }
}
