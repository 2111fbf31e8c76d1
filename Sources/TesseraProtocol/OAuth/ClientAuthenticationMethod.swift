/// Token endpoint client authentication methods (RFC 7591 §2, OpenID Connect Core §9).
public struct ClientAuthenticationMethod: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }

    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    public static let clientSecretBasic: Self = "client_secret_basic"
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    public static let clientSecretPost: Self = "client_secret_post"
    /// A JWT signed with the client's private key (RFC 7523 §2.2).
    public static let privateKeyJWT: Self = "private_key_jwt"
    /// A public client: identified by `client_id` only.
    public static let none: Self = "none"

    /// Every method Tessera implements, in the order metadata lists them.
    public static let supported: [Self] = [.clientSecretBasic, .clientSecretPost, .privateKeyJWT, .none]

    /// Whether the method proves possession of a shared secret.
    public var usesSharedSecret: Bool { self == .clientSecretBasic || self == .clientSecretPost }
}
