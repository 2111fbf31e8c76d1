/// `token_type_hint` values for introspection and revocation (RFC 7009 §2.1, RFC 7662 §2.1).
public struct TokenTypeHint: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public static let accessToken: Self = "access_token"
    public static let refreshToken: Self = "refresh_token"
}
