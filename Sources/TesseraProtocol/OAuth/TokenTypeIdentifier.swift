/// Token type identifiers (RFC 8693 §3): `subject_token_type`, `actor_token_type`,
/// `requested_token_type` and `issued_token_type` values.
public enum TokenTypeIdentifier {
    /// An OAuth 2.0 access token (RFC 8693 §3).
    public static let accessToken = "urn:ietf:params:oauth:token-type:access_token"
    /// An OAuth 2.0 refresh token (RFC 8693 §3).
    public static let refreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
    /// An ID Token (OpenID Connect Core §2; RFC 8693 §3).
    public static let idToken = "urn:ietf:params:oauth:token-type:id_token"
    /// A JWT (RFC 7519; RFC 8693 §3): what a JWT authorization grant for another domain is issued as
    /// (draft-ietf-oauth-identity-chaining §2.3.3).
    public static let jwt = "urn:ietf:params:oauth:token-type:jwt"
    /// An Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant §4.3.1):
    /// the `requested_token_type` and `issued_token_type` of the token exchange that mints one.
    public static let idJAG = "urn:ietf:params:oauth:token-type:id-jag"
}
