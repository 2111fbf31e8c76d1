/// A successful access token response (RFC 6749 §5.1).
public struct TokenResponse: Codable, Sendable, Hashable {
    public var accessToken: String
    public var tokenType: String
    public var expiresIn: Int?
    public var refreshToken: String?
    public var scope: String?
    /// RFC 8693 §2.2.1, present for token exchange.
    public var issuedTokenType: String?
    /// RFC 9396 §7: the authorization details granted.
    public var authorizationDetails: [JSONValue]?
    /// OpenID Connect Core §3.1.3.3: present when the `openid` scope was granted.
    public var idToken: String?

    public init(
        accessToken: String,
        tokenType: String,
        expiresIn: Int?,
        refreshToken: String? = nil,
        scope: String? = nil,
        issuedTokenType: String? = nil,
        authorizationDetails: [JSONValue]? = nil
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scope = scope
        self.issuedTokenType = issuedTokenType
        self.authorizationDetails = authorizationDetails
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case scope
        case issuedTokenType = "issued_token_type"
        case authorizationDetails = "authorization_details"
        case idToken = "id_token"
    }
}
