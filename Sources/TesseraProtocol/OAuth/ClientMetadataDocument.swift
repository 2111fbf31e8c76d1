/// A Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document-01 §4): RFC 7591
/// client metadata published by the client at the URL that is its `client_id`. Only the members
/// Tessera uses are decoded; others are ignored.
public struct ClientMetadataDocument: Codable, Sendable, Hashable {
    public var clientID: String
    public var clientName: String?
    public var clientURI: String?
    public var logoURI: String?
    public var redirectURIs: [String]?
    public var grantTypes: [String]?
    public var tokenEndpointAuthMethod: String?
    public var jwks: PublicJWKSet?
    public var jwksURI: String?
    /// Space-separated scopes the client says it may ask for (RFC 7591 §2).
    public var scope: String?
    public var softwareVersion: String?
    /// draft-kahrer-oauth-client-challenge-protocol §7: the client understands client challenges.
    public var insufficientClientAuthorizationSupported: Bool?
    /// Present only to be refused: a metadata document cannot hold a shared secret (§4).
    public var clientSecret: String?
    public var clientSecretExpiresAt: Int?

    public init(clientID: String) { self.clientID = clientID }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case clientName = "client_name"
        case clientURI = "client_uri"
        case logoURI = "logo_uri"
        case redirectURIs = "redirect_uris"
        case grantTypes = "grant_types"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case jwks
        case jwksURI = "jwks_uri"
        case scope
        case softwareVersion = "software_version"
        case insufficientClientAuthorizationSupported = "insufficient_client_authorization_supported"
        case clientSecret = "client_secret"
        case clientSecretExpiresAt = "client_secret_expires_at"
    }
}
