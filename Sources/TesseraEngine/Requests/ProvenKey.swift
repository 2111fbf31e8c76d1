public import TesseraProtocol

/// The key a client proved possession of with one request, whatever the door: a DPoP proof
/// (RFC 9449 §4.3, by JWK thumbprint `jkt`), a GNAP HTTP message signature or JWS (RFC 9635 §7.3.1,
/// §7.3.3–7.3.4, by the thumbprint of its JWK), or GNAP mutual TLS (RFC 9635 §7.3.2, RFC 8705 §3.1, by
/// the certificate's SHA-256 thumbprint `x5t#S256`). Whatever proved it, the tokens issued for the
/// request carry one confirmation (`cnf`, RFC 7800 §3.1) naming this key.
public struct ProvenKey: Sendable, Hashable {
    /// How possession was proven.
    public enum Method: String, Sendable, Hashable {
        /// A `DPoP` header proof (RFC 9449).
        case dpop
        /// An HTTP message signature (RFC 9635 §7.3.1, RFC 9421).
        case httpSignature = "httpsig"
        /// An attached or detached JWS (RFC 9635 §7.3.3, §7.3.4).
        case jws
        /// The TLS client certificate (RFC 9635 §7.3.2, RFC 8705).
        case mutualTLS = "mtls"
    }

    public let method: Method
    /// The `cnf` the issued tokens get: `jkt` for a JWK, `x5t#S256` for a certificate.
    public let confirmation: Confirmation

    /// A key proven with a DPoP proof (RFC 9449 §4.3).
    /// - Parameter jkt: the proof key's RFC 7638 thumbprint.
    public init(dpop jkt: String) {
        self.method = .dpop
        self.confirmation = Confirmation(jkt: jkt)
    }

    /// A GNAP client key (RFC 9635 §7.1) proven with the request.
    /// - Parameters:
    ///   - proof: the key's `proof` method (`httpsig`, `jwsd`, `jws` or `mtls`).
    ///   - thumbprint: the JWK thumbprint, or for `mtls` the certificate's SHA-256 thumbprint.
    public init(gnapProof proof: String, thumbprint: String) {
        switch proof {
        case "mtls":
            self.method = .mutualTLS
            self.confirmation = Confirmation(jkt: nil, x5tS256: thumbprint)
        case "jws", "jwsd":
            self.method = .jws
            self.confirmation = Confirmation(jkt: thumbprint)
        default:
            self.method = .httpSignature
            self.confirmation = Confirmation(jkt: thumbprint)
        }
    }

    /// The JWK thumbprint, when the key is a JWK (every method but mutual TLS).
    public var jkt: String? { confirmation.jkt }
}
