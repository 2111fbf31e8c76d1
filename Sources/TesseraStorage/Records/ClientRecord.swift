public import Foundation
public import TesseraProtocol

/// A registered OAuth client as stored (RFC 7591 §2 metadata that Tessera uses).
public struct ClientRecord: Sendable, Hashable {
    public var id: String
    public var authMethod: ClientAuthenticationMethod
    /// ``SecretHash`` text of the client secret; only for the shared-secret methods.
    public var secretHash: String?
    /// The client's public JWK Set as JSON text, for `private_key_jwt`.
    public var jwks: String?
    /// Where the client publishes its JWK Set, for `private_key_jwt`.
    public var jwksURI: String?
    public var grantTypes: [GrantType]
    public var scopes: [String]
    public var createdAt: Date
    /// The registered redirection endpoints (RFC 6749 §3.1.2), compared exactly (RFC 9700 §4.1.3).
    public var redirectURIs: [String] = []
    /// Whether this client must push its authorization requests (RFC 9126 §6).
    public var requirePushedAuthorizationRequests: Bool = false
    /// The token audiences this client serves as a resource server, whose tokens it may introspect
    /// (RFC 7662 §4). Empty for clients that are not resource servers.
    public var introspectionAudiences: [String] = []
    /// Set when the client registered itself (RFC 7591): it is unverified, and manageable with
    /// its registration access token (RFC 7592). `nil` for clients an operator registered.
    public var registration: ClientRegistration?
    /// The party's GNAP registration (client instance and/or resource server), when it uses the GNAP door
    /// (issue 19, "one registry"); `nil` for OAuth-only clients.
    public var gnap: GNAPRegistration?
    /// The name the operator registered the client under (RFC 7591 `client_name`, given by the
    /// operator: the consent pages show it as verified). `nil` when the operator gave none, and for
    /// self-registered clients, whose own name stays in ``registration``'s metadata.
    public var clientName: String?
    /// Whether every authorization and token request of this client must name its resources
    /// (RFC 8707 §2, `require_resource`): without `resource` it gets `invalid_target`, never a token for
    /// the default audience. Set by the operator (configuration file, `tessera clients add --require-resource`).
    public var requireResource: Bool = false

    public init(
        id: String,
        authMethod: ClientAuthenticationMethod,
        secretHash: String? = nil,
        jwks: String? = nil,
        jwksURI: String? = nil,
        grantTypes: [GrantType],
        scopes: [String],
        createdAt: Date
    ) {
        self.id = id
        self.authMethod = authMethod
        self.secretHash = secretHash
        self.jwks = jwks
        self.jwksURI = jwksURI
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.createdAt = createdAt
    }
}

extension ClientRecord: InsertableRecord {
    static let table = "clients"
    static let columns = """
        id, auth_method, secret_hash, jwks, jwks_uri, grant_types, scopes, created_at, redirect_uris, require_par, introspection_audiences,
        registration_metadata, registration_token_hash, gnap_registration, gnap_key_thumbprint, client_name, require_resource
        """

    /// Lists are space-separated in SQLite (grant types, scopes, redirect URIs and audiences hold no space).
    /// - Throws: ``StorageError`` `corrupt` for an unreadable GNAP registration.
    init(row: some StoredRow) throws {
        self.init(
            id: try row.text(0),
            authMethod: ClientAuthenticationMethod(rawValue: try row.text(1)),
            secretHash: try row.optionalText(2),
            jwks: try row.optionalText(3),
            jwksURI: try row.optionalText(4),
            grantTypes: try row.list(5, separator: " ").map { GrantType(rawValue: $0) },
            scopes: try row.list(6, separator: " "),
            createdAt: try row.date(7)
        )
        redirectURIs = try row.list(8, separator: " ")
        requirePushedAuthorizationRequests = try row.bool(9)
        introspectionAudiences = try row.list(10, separator: " ")
        if let metadata = try row.optionalText(11), let accessTokenHash = try row.optionalText(12) {
            registration = ClientRegistration(metadata: metadata, accessTokenHash: accessTokenHash)
        }
        gnap = try row.optionalText(13).map(GNAPRegistration.stored)
        clientName = try row.optionalText(15)
        requireResource = try row.bool(16)
    }

    func storedValues() throws -> [StoredValue] {
        [
            .text(id), .text(authMethod.rawValue), .text(secretHash), .text(jwks), .text(jwksURI),
            .list(grantTypes.map(\.rawValue), separator: " "), .list(scopes, separator: " "), .date(createdAt),
            .list(redirectURIs, separator: " "), .bool(requirePushedAuthorizationRequests), .list(introspectionAudiences, separator: " "),
            .text(registration?.metadata), .text(registration?.accessTokenHash), .text(try gnap?.storedJSON()), .text(gnap?.keyThumbprint),
            .text(clientName), .bool(requireResource),
        ]
    }
}
