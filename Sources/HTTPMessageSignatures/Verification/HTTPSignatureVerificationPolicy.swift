/// The application requirements a signature must meet (RFC 9421 §3.2.1). Verification fails, naming the rule, when
/// any is not met.
///
/// ```swift
/// var policy = HTTPSignatureVerificationPolicy.gnap      // tag "gnap", @method + @target-uri, no alg, ±60 s
/// policy.requireNonce = true
/// ```
public struct HTTPSignatureVerificationPolicy: Sendable {
    /// Only examine the signature with this label. `nil` examines every signature (GNAP requires that).
    public var label: String?
    /// Only signatures with this `tag` are candidates; others are ignored (RFC 9421 §7.2.7).
    public var requiredTag: String?
    /// Components every accepted signature must cover.
    public var requiredComponents: [HTTPSignatureComponent] = []
    /// Header fields that must be covered whenever the message carries them (GNAP: `authorization`).
    public var requiredFieldsWhenPresent: [String] = []
    /// When the message has content, `content-digest` must be covered and is recomputed over the content
    /// (RFC 9421 §7.2.8, RFC 9530).
    public var requireContentDigestForContent: Bool = true
    /// Digest algorithms accepted in `Content-Digest` (RFC 9530 §5).
    public var acceptedDigestAlgorithms: Set<ContentDigest.Algorithm> = [.sha256, .sha512]
    /// `created` must be present.
    public var requireCreated: Bool = true
    /// Maximum age of `created`; `nil` disables the check.
    public var maximumAge: Duration? = .seconds(300)
    /// Tolerated clock difference for `created` in the future and for `expires`.
    public var clockSkew: Duration = .seconds(60)
    /// `expires` must be present.
    public var requireExpires: Bool = false
    /// `nonce` must be present (it is checked against the replay cache whenever present and a cache is set).
    public var requireNonce: Bool = false
    /// A signature without a `nonce` is single use too: the SHA-256 of its signature base is recorded in the
    /// replay cache (``HTTPSignatureReplayCache/insertIfAbsent(signatureBaseDigest:keyID:expiresAt:)``) until
    /// `created` + ``maximumAge`` + ``clockSkew``, so a byte-identical replay — or one whose signature bytes
    /// differ, such as the (r, n−s) twin of an ECDSA signature — is refused (RFC 9421 §7.2.2). Two honest
    /// requests signed in the same second with the same covered content collide: such a signer needs a nonce.
    public var singleUseSignatureBase: Bool = false
    /// `keyid` must be present.
    public var requireKeyID: Bool = true
    /// Algorithms accepted (RFC 9421 §3.2 step 6). Defaults to the asymmetric registry algorithms; add
    /// ``HTTPSignatureAlgorithm/hmacSHA256`` only where shared secrets are expected (§7.3.6).
    public var allowedAlgorithms: Set<HTTPSignatureAlgorithm> = HTTPSignatureAlgorithm.asymmetric
    /// Whether the `alg` parameter may appear (GNAP forbids it). When present it must match the key's algorithm.
    public var allowAlgorithmParameter: Bool = true
    /// Reject signature parameters outside the registry (`created`, `expires`, `nonce`, `alg`, `keyid`, `tag`).
    public var rejectUnknownParameters: Bool = true
    /// Types of structured fields for the `sf` parameter, beyond the well-known ones.
    public var structuredFieldTypes: [String: StructuredFieldType] = [:]

    /// The defaults: `created` and `keyid` required, at most 5 minutes old, ±60 s skew, asymmetric algorithms,
    /// `content-digest` required and checked when there is content.
    public init() {}

    /// The GNAP profile verifier rules (RFC 9635 §7.3.1): `tag="gnap"`; `@method`, `@target-uri` covered;
    /// `authorization` covered when present; `content-digest` covered and checked when there is content; `created`
    /// within ±60 s; no `alg` parameter; algorithms from the key, including JWS `PS256`; a `nonce` is
    /// single use and, without one, the signature base is (``singleUseSignatureBase``).
    public static var gnap: Self {
        var policy = Self()
        policy.singleUseSignatureBase = true
        policy.requiredTag = "gnap"
        policy.requiredComponents = [.method, .targetURI]
        policy.requiredFieldsWhenPresent = ["authorization"]
        policy.maximumAge = .seconds(60)
        policy.clockSkew = .seconds(60)
        policy.allowAlgorithmParameter = false
        policy.allowedAlgorithms = HTTPSignatureAlgorithm.asymmetric.union([.jwsPS256])
        return policy
    }
}
