/// A JWS `alg` value as parsed (RFC 7518 §3.1, RFC 8037 §3.1).
///
/// Parsing is tolerant, policy is strict: `none` and `HS256` decode fine and are refused by the
/// verifier because they are not in its allow-list.
public struct JWSAlgorithm: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }

    public static let es256: Self = "ES256"
    public static let es384: Self = "ES384"
    public static let edDSA: Self = "EdDSA"
    public static let rs256: Self = "RS256"
    public static let ps256: Self = "PS256"

    /// The asymmetric algorithms Tessera accepts for client assertions and issues tokens with.
    public static let asymmetric: Set<Self> = [.es256, .es384, .edDSA, .rs256, .ps256]
}

extension JWSAlgorithm {
    /// Key types (`kty`) that carry keys for the asymmetric algorithms.
    public static let asymmetricKeyTypes: Set<String> = ["EC", "OKP", "RSA"]
}
