/// `grant_type` values (RFC 6749 §4.4 and §6, RFC 7523 §2.1, RFC 8693 §2.1).
///
/// An open set: unknown values decode fine so the server can answer `unsupported_grant_type`.
public struct GrantType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }

    public static let authorizationCode: Self = "authorization_code"
    public static let clientCredentials: Self = "client_credentials"
    public static let refreshToken: Self = "refresh_token"
    public static let jwtBearer: Self = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    public static let tokenExchange: Self = "urn:ietf:params:oauth:grant-type:token-exchange"
}
