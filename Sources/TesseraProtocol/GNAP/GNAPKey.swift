/// A key presented by value (RFC 9635 §7.1): a proofing method and exactly one key format.
public struct GNAPKey: Sendable, Hashable, Codable {
    /// The proofing method (RFC 9635 §7.3): the string form, or the object form's `method`.
    public var proof: GNAPProof
    /// A public JWK; RFC 9635 §7.1 requires `alg` and `kid`.
    public var jwk: PublicJWK?
    /// A PEM or base64 DER certificate (for `mtls`).
    public var cert: String?
    /// The SHA-256 certificate thumbprint (for `mtls`).
    public var certS256: String?

    public init(proof: GNAPProof, jwk: PublicJWK? = nil, cert: String? = nil, certS256: String? = nil) {
        self.proof = proof
        self.jwk = jwk
        self.cert = cert
        self.certS256 = certS256
    }

    enum CodingKeys: String, CodingKey {
        case proof, jwk, cert
        case certS256 = "cert#S256"
    }
}

/// The `proof` member: `"httpsig"` or `{"method": "httpsig", "alg": …, "content-digest-alg": …}`.
public struct GNAPProof: Sendable, Hashable, Codable {
    public var method: String
    /// HTTP signature algorithm name, object form only.
    public var alg: String?
    /// `sha-256` or `sha-512`, object form only.
    public var contentDigestAlg: String?

    public init(method: String, alg: String? = nil, contentDigestAlg: String? = nil) {
        self.method = method
        self.alg = alg
        self.contentDigestAlg = contentDigestAlg
    }

    public static let httpsig = GNAPProof(method: "httpsig")

    enum CodingKeys: String, CodingKey {
        case method, alg
        case contentDigestAlg = "content-digest-alg"
    }

    public init(from decoder: any Decoder) throws {
        if let method = try? decoder.singleValueContainer().decode(String.self) {
            self.init(method: method)
            return
        }
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            method: try keyed.decode(String.self, forKey: .method),
            alg: try keyed.decodeIfPresent(String.self, forKey: .alg),
            contentDigestAlg: try keyed.decodeIfPresent(String.self, forKey: .contentDigestAlg)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        if alg == nil, contentDigestAlg == nil {
            var container = encoder.singleValueContainer()
            try container.encode(method)
        } else {
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(method, forKey: .method)
            try keyed.encodeIfPresent(alg, forKey: .alg)
            try keyed.encodeIfPresent(contentDigestAlg, forKey: .contentDigestAlg)
        }
    }
}
