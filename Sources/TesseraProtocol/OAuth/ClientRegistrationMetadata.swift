/// Client metadata of dynamic registration (RFC 7591 §2), as a client sends it to the
/// registration endpoint and as the server returns it (§3.2.1). Every member is optional on the
/// wire; the server fills in its defaults. Unknown members are ignored (RFC 7591 §2).
public struct ClientRegistrationMetadata: Codable, Sendable, Hashable {
    public var redirectURIs: [String]?
    public var tokenEndpointAuthMethod: String?
    public var grantTypes: [String]?
    public var responseTypes: [String]?
    public var clientName: String?
    public var clientURI: String?
    public var logoURI: String?
    public var scope: String?
    public var contacts: [String]?
    public var tosURI: String?
    public var policyURI: String?
    public var jwksURI: String?
    public var jwks: PublicJWKSet?
    public var softwareID: String?
    public var softwareVersion: String?
    /// OpenID Connect Dynamic Client Registration §2: `web` (default) or `native`; the MCP
    /// authorization spec requires clients to send it (SEP-837).
    public var applicationType: String?
    /// RFC 7591 §2.3: not accepted by Tessera; decoded only to refuse it clearly.
    public var softwareStatement: String?
    /// RFC 7592 §2.2: present in an update request; must name the client being updated.
    public var clientID: String?
    /// RFC 7592 §2.2: may be present in an update request; must then be the client's secret.
    public var clientSecret: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case redirectURIs = "redirect_uris"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case grantTypes = "grant_types"
        case responseTypes = "response_types"
        case clientName = "client_name"
        case clientURI = "client_uri"
        case logoURI = "logo_uri"
        case scope, contacts
        case tosURI = "tos_uri"
        case policyURI = "policy_uri"
        case jwksURI = "jwks_uri"
        case jwks
        case softwareID = "software_id"
        case softwareVersion = "software_version"
        case applicationType = "application_type"
        case softwareStatement = "software_statement"
        case clientID = "client_id"
        case clientSecret = "client_secret"
    }
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the registered metadata plus
/// the credentials and the management endpoint.
public struct ClientRegistrationResponse: Encodable, Sendable, Hashable {
    public var clientID: String
    /// Only in the response to the registration itself: Tessera keeps a hash, never the secret.
    public var clientSecret: String?
    public var clientIDIssuedAt: Int
    /// `0` means it does not expire (RFC 7591 §3.2.1); present whenever a secret was issued.
    public var clientSecretExpiresAt: Int?
    public var registrationAccessToken: String
    public var registrationClientURI: String
    public var metadata: ClientRegistrationMetadata

    public init(
        clientID: String,
        clientSecret: String?,
        clientIDIssuedAt: Int,
        clientSecretExpiresAt: Int?,
        registrationAccessToken: String,
        registrationClientURI: String,
        metadata: ClientRegistrationMetadata
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.clientIDIssuedAt = clientIDIssuedAt
        self.clientSecretExpiresAt = clientSecretExpiresAt
        self.registrationAccessToken = registrationAccessToken
        self.registrationClientURI = registrationClientURI
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientIDIssuedAt = "client_id_issued_at"
        case clientSecretExpiresAt = "client_secret_expires_at"
        case registrationAccessToken = "registration_access_token"
        case registrationClientURI = "registration_client_uri"
    }

    /// One flat JSON object: the metadata members and the members above.
    public func encode(to encoder: any Encoder) throws {
        var stored = metadata
        stored.clientID = nil
        stored.clientSecret = nil
        stored.softwareStatement = nil
        try stored.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(clientID, forKey: .clientID)
        try container.encodeIfPresent(clientSecret, forKey: .clientSecret)
        try container.encode(clientIDIssuedAt, forKey: .clientIDIssuedAt)
        try container.encodeIfPresent(clientSecretExpiresAt, forKey: .clientSecretExpiresAt)
        try container.encode(registrationAccessToken, forKey: .registrationAccessToken)
        try container.encode(registrationClientURI, forKey: .registrationClientURI)
    }
}
