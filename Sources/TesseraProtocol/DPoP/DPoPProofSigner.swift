public import Crypto
public import Foundation

/// Creates DPoP proofs (RFC 9449 §4.2) with one ES256 key: the client side of sender-constrained tokens.
public struct DPoPProofSigner: Sendable {
    public let privateKey: P256.Signing.PrivateKey

    public init(privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.privateKey = privateKey
    }

    /// The public key carried in every proof header.
    public var publicJWK: PublicJWK {
        let point = privateKey.publicKey.x963Representation.dropFirst()
        return PublicJWK(kty: "EC", crv: "P-256", x: Base64URL.encode(point.prefix(32)), y: Base64URL.encode(point.suffix(32)))
    }

    /// The key's RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to it.
    public var thumbprint: String {
        (try? publicJWK.thumbprint()) ?? ""
    }

    /// A fresh proof for one request.
    /// - Parameters:
    ///   - method: the HTTP method (`htm`).
    ///   - uri: the target URI; query and fragment are dropped (`htu`, §4.2).
    ///   - accessToken: when calling a resource with a token, its hash goes in `ath`.
    ///   - nonce: the latest `DPoP-Nonce` the server sent, if any.
    ///   - now: the proof's `iat`.
    /// - Returns: The proof JWT for the `DPoP` header.
    public func proof(method: String, uri: String, accessToken: String? = nil, nonce: String? = nil, now: Date = Date()) -> String {
        let claims = DPoPProofClaims(
            jti: Base64URL.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }),
            htm: method,
            htu: Self.stripQueryAndFragment(uri),
            iat: Int(now.timeIntervalSince1970),
            ath: accessToken.map(DPoPProofVerifier.accessTokenHash),
            nonce: nonce
        )
        return sign(claims)
    }

    /// Signs arbitrary proof claims; tests use it to build malformed proofs.
    public func sign(_ claims: DPoPProofClaims) -> String {
        let jwk = publicJWK
        let header = #"{"alg":"ES256","jwk":{"crv":"P-256","kty":"EC","x":"\#(jwk.x ?? "")","y":"\#(jwk.y ?? "")"},"typ":"dpop+jwt"}"#
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = (try? encoder.encode(claims)) ?? Data()
        let signingInput = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(payload)
        let signature = (try? privateKey.signature(for: Data(signingInput.utf8)).rawRepresentation) ?? Data()
        return signingInput + "." + Base64URL.encode(signature)
    }

    static func stripQueryAndFragment(_ uri: String) -> String {
        String(uri.prefix { $0 != "?" && $0 != "#" })
    }
}
