/// Authorization server metadata (RFC 8414 §2), limited to what Tessera implements.
public struct AuthorizationServerMetadata: Codable, Sendable, Hashable {
    public var issuer: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var introspectionEndpoint: String
    public var revocationEndpoint: String
    public var grantTypesSupported: [String]
    public var responseTypesSupported: [String]
    public var scopesSupported: [String]?
    public var tokenEndpointAuthMethodsSupported: [String]
    public var tokenEndpointAuthSigningAlgValuesSupported: [String]
    public var introspectionEndpointAuthMethodsSupported: [String]
    public var revocationEndpointAuthMethodsSupported: [String]
    public var accessTokenSigningAlgValuesSupported: [String]
    /// Token types a token exchange may request for identity chaining (draft-ietf-oauth-identity-chaining §3).
    public var identityChainingRequestedTokenTypesSupported: [String]?
    /// Authorization grant profiles whose processing rules this AS implements at its token endpoint
    /// (draft-ietf-oauth-identity-assertion-authz-grant §7.2): `urn:ietf:params:oauth:grant-profile:id-jag`.
    public var authorizationGrantProfilesSupported: [String]?
    /// draft-ietf-oauth-client-id-metadata-document-01 §5: `client_id` may be a metadata document URL.
    public var clientIDMetadataDocumentSupported: Bool?
    /// JWS algorithms accepted in DPoP proofs (RFC 9449 §5.1).
    public var dpopSigningAlgValuesSupported: [String]?
    /// RFC 9396 §10: the `authorization_details` types this AS knows (absent when none).
    public var authorizationDetailsTypesSupported: [String]?
    /// RFC 8414 §2: the authorization endpoint (authorization code grant).
    public var authorizationEndpoint: String?
    /// RFC 9126 §5.
    public var pushedAuthorizationRequestEndpoint: String?
    /// RFC 9126 §5: whether every client must push its authorization requests.
    public var requirePushedAuthorizationRequests: Bool?
    /// RFC 8414 §2 (RFC 7636): only `S256`.
    public var codeChallengeMethodsSupported: [String]?
    /// RFC 9207 §3: authorization responses carry `iss`.
    public var authorizationResponseIssParameterSupported: Bool?
    /// OpenID Connect Discovery 1.0 §3.
    public var userinfoEndpoint: String?
    /// OpenID Connect Discovery 1.0 §3.
    public var subjectTypesSupported: [String]?
    /// OpenID Connect Discovery 1.0 §3.
    public var idTokenSigningAlgValuesSupported: [String]?
    /// OpenID Connect Discovery 1.0 §3.
    public var claimsSupported: [String]?
    /// OpenID Connect Discovery 1.0 §3 (added by Initiating User Registration via OpenID Connect 1.0 §4.1):
    /// the `prompt` values the authorization endpoint acts on.
    public var promptValuesSupported: [String]?
    /// RFC 8414 §2 / RFC 7591 §3: present only when dynamic client registration is enabled.
    public var registrationEndpoint: String?

    public init(
        issuer: String,
        tokenEndpoint: String,
        jwksURI: String,
        introspectionEndpoint: String,
        revocationEndpoint: String,
        grantTypesSupported: [String],
        responseTypesSupported: [String],
        scopesSupported: [String]?,
        tokenEndpointAuthMethodsSupported: [String],
        tokenEndpointAuthSigningAlgValuesSupported: [String],
        accessTokenSigningAlgValuesSupported: [String]
    ) {
        self.issuer = issuer
        self.tokenEndpoint = tokenEndpoint
        self.jwksURI = jwksURI
        self.introspectionEndpoint = introspectionEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.grantTypesSupported = grantTypesSupported
        self.responseTypesSupported = responseTypesSupported
        self.scopesSupported = scopesSupported
        self.tokenEndpointAuthMethodsSupported = tokenEndpointAuthMethodsSupported
        self.tokenEndpointAuthSigningAlgValuesSupported = tokenEndpointAuthSigningAlgValuesSupported
        self.introspectionEndpointAuthMethodsSupported = tokenEndpointAuthMethodsSupported.filter { $0 != "none" }
        self.revocationEndpointAuthMethodsSupported = tokenEndpointAuthMethodsSupported
        self.accessTokenSigningAlgValuesSupported = accessTokenSigningAlgValuesSupported
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case introspectionEndpoint = "introspection_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case grantTypesSupported = "grant_types_supported"
        case responseTypesSupported = "response_types_supported"
        case scopesSupported = "scopes_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case tokenEndpointAuthSigningAlgValuesSupported = "token_endpoint_auth_signing_alg_values_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case accessTokenSigningAlgValuesSupported = "access_token_signing_alg_values_supported"
        case identityChainingRequestedTokenTypesSupported = "identity_chaining_requested_token_types_supported"
        case authorizationGrantProfilesSupported = "authorization_grant_profiles_supported"
        case clientIDMetadataDocumentSupported = "client_id_metadata_document_supported"
        case dpopSigningAlgValuesSupported = "dpop_signing_alg_values_supported"
        case authorizationDetailsTypesSupported = "authorization_details_types_supported"
        case authorizationEndpoint = "authorization_endpoint"
        case pushedAuthorizationRequestEndpoint = "pushed_authorization_request_endpoint"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
        case userinfoEndpoint = "userinfo_endpoint"
        case subjectTypesSupported = "subject_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case claimsSupported = "claims_supported"
        case promptValuesSupported = "prompt_values_supported"
        case registrationEndpoint = "registration_endpoint"
    }
}
