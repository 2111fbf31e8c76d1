/// A signature algorithm (RFC 9421 §3.3).
///
/// The six entries of the "HTTP Signature Algorithms" registry, plus ``jwsPS256``: RFC 9421 §3.3.7 lets a JWS
/// algorithm be used directly, and the GNAP interoperability profiles (RFC 9635 §14) require PS256. Algorithms are
/// identified by the operation they perform, so a JWK with `"alg": "ES256"` yields ``ecdsaP256SHA256``.
public struct HTTPSignatureAlgorithm: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case ed25519, ecdsaP256SHA256, ecdsaP384SHA384, rsaPSSSHA512, rsaPKCS1SHA256, hmacSHA256, rsaPSSSHA256
    }
    let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// `rsa-pss-sha512` (RFC 9421 §3.3.1): RSASSA-PSS, SHA-512, MGF1-SHA-512, 64-byte salt.
    public static let rsaPSSSHA512 = Self(.rsaPSSSHA512)
    /// `rsa-v1_5-sha256` (RFC 9421 §3.3.2): RSASSA-PKCS1-v1_5 with SHA-256.
    public static let rsaPKCS1v15SHA256 = Self(.rsaPKCS1SHA256)
    /// `hmac-sha256` (RFC 9421 §3.3.3).
    public static let hmacSHA256 = Self(.hmacSHA256)
    /// `ecdsa-p256-sha256` (RFC 9421 §3.3.4), raw `r‖s` signatures.
    public static let ecdsaP256SHA256 = Self(.ecdsaP256SHA256)
    /// `ecdsa-p384-sha384` (RFC 9421 §3.3.5), raw `r‖s` signatures.
    public static let ecdsaP384SHA384 = Self(.ecdsaP384SHA384)
    /// `ed25519` (RFC 9421 §3.3.6).
    public static let ed25519 = Self(.ed25519)
    /// JWS `PS256` used directly (RFC 9421 §3.3.7; RFC 7518 §3.5): RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt.
    /// Never valid in the `alg` signature parameter.
    public static let jwsPS256 = Self(.rsaPSSSHA256)

    /// Every algorithm in the HTTP Signature Algorithms registry.
    public static let registered: Set<Self> = [
        .rsaPSSSHA512, .rsaPKCS1v15SHA256, .hmacSHA256, .ecdsaP256SHA256, .ecdsaP384SHA384, .ed25519,
    ]
    /// The asymmetric registry algorithms: a safe default allow-list when no shared secrets are in use (§7.3.6).
    public static let asymmetric: Set<Self> = [.rsaPSSSHA512, .rsaPKCS1v15SHA256, .ecdsaP256SHA256, .ecdsaP384SHA384, .ed25519]

    /// The name: the registry name, or the JWS name for JOSE-only algorithms.
    public var name: String {
        switch kind {
        case .ed25519: "ed25519"
        case .ecdsaP256SHA256: "ecdsa-p256-sha256"
        case .ecdsaP384SHA384: "ecdsa-p384-sha384"
        case .rsaPSSSHA512: "rsa-pss-sha512"
        case .rsaPKCS1SHA256: "rsa-v1_5-sha256"
        case .hmacSHA256: "hmac-sha256"
        case .rsaPSSSHA256: "PS256"
        }
    }

    /// Whether the algorithm may appear in the `alg` signature parameter (RFC 9421 §3.3.7: JWS names never do).
    public var isRegistered: Bool { kind != .rsaPSSSHA256 }

    /// Looks an algorithm up by its HTTP Signature Algorithms registry name (the `alg` parameter).
    public init?(registryName: String) {
        guard let named = Self.registered.first(where: { $0.name == registryName }) else { return nil }
        self = named
    }

    /// Maps a JWS `alg` (RFC 7518) to the operation it names (RFC 9421 §3.3.7; RFC 9635 §7.3.1). `none` and
    /// unsupported names give `nil`.
    public init?(jwsAlgorithm: String) {
        switch jwsAlgorithm {
        case "EdDSA", "Ed25519": self = .ed25519
        case "ES256": self = .ecdsaP256SHA256
        case "ES384": self = .ecdsaP384SHA384
        case "PS512": self = .rsaPSSSHA512
        case "RS256": self = .rsaPKCS1v15SHA256
        case "HS256": self = .hmacSHA256
        case "PS256": self = .jwsPS256
        default: return nil
        }
    }

    public var description: String { name }
}
