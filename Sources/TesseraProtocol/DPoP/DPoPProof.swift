public import Foundation

/// A DPoP proof that passed the stateless checks of RFC 9449 §4.3 (steps 1–9, 11, 12).
///
/// What remains for the caller: the `jti` replay check (the proof is single use within its
/// window) and, when it issued one, the server nonce (§4.3 step 10, §8, §9).
public struct DPoPProof: Sendable, Hashable {
    /// The header `typ` every proof carries (RFC 9449 §4.2).
    public static let type = "dpop+jwt"

    /// The JWK SHA-256 thumbprint (RFC 7638) of the proof key: the `cnf.jkt` tokens bind to (§6.1).
    public let jkt: String
    /// The public key from the proof header.
    public let key: PublicJWK
    public let algorithm: JWSAlgorithm
    public let jti: String
    public let htm: String
    public let htu: String
    /// Creation time (`iat`).
    public let issuedAt: Date
    /// The server nonce the proof echoes, if any.
    public let nonce: String?
    /// The access token hash, present when the proof accompanies an access token (§4.2).
    public let ath: String?
}

/// The claims of a DPoP proof (RFC 9449 §4.2), for signers and verifiers.
public struct DPoPProofClaims: Codable, Sendable, Hashable {
    public var jti: String
    public var htm: String
    public var htu: String
    public var iat: Int
    public var ath: String?
    public var nonce: String?

    public init(jti: String, htm: String, htu: String, iat: Int, ath: String? = nil, nonce: String? = nil) {
        self.jti = jti
        self.htm = htm
        self.htu = htu
        self.iat = iat
        self.ath = ath
        self.nonce = nonce
    }
}
