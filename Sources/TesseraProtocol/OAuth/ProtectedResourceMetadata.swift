import Foundation

/// OAuth 2.0 Protected Resource Metadata (RFC 9728 §2): what a resource server publishes at
/// `/.well-known/oauth-protected-resource` so clients can find its authorization servers.
public struct ProtectedResourceMetadata: Codable, Sendable, Hashable {
    /// The resource identifier (REQUIRED): an https URL without fragment.
    public var resource: String
    /// Issuer identifiers of the authorization servers that issue tokens for this resource.
    public var authorizationServers: [String]?
    public var scopesSupported: [String]?
    /// How tokens may be presented (RFC 9728 §2): Tessera's SDK accepts only `header`.
    public var bearerMethodsSupported: [String]?
    public var resourceName: String?
    public var resourceDocumentation: String?
    /// Algorithms accepted in DPoP proofs (RFC 9449 §7.1, RFC 9728 §2).
    public var dpopSigningAlgValuesSupported: [String]?
    /// Whether only DPoP-bound tokens are accepted (RFC 9728 §2).
    public var dpopBoundAccessTokensRequired: Bool?

    public init(
        resource: String,
        authorizationServers: [String]? = nil,
        scopesSupported: [String]? = nil,
        bearerMethodsSupported: [String]? = ["header"],
        resourceName: String? = nil,
        resourceDocumentation: String? = nil,
        dpopSigningAlgValuesSupported: [String]? = nil,
        dpopBoundAccessTokensRequired: Bool? = nil
    ) {
        self.resource = resource
        self.authorizationServers = authorizationServers
        self.scopesSupported = scopesSupported
        self.bearerMethodsSupported = bearerMethodsSupported
        self.resourceName = resourceName
        self.resourceDocumentation = resourceDocumentation
        self.dpopSigningAlgValuesSupported = dpopSigningAlgValuesSupported
        self.dpopBoundAccessTokensRequired = dpopBoundAccessTokensRequired
    }

    /// The metadata URL for a resource identifier (RFC 9728 §3.1): the well-known path is inserted
    /// between the host and the resource's path. `nil` when `resource` is not an http(s) URL.
    public static func metadataURL(for resource: String) -> String? {
        guard var components = URLComponents(string: resource), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http",
            components.host?.isEmpty == false, components.fragment == nil
        else { return nil }
        var path = components.percentEncodedPath
        if path == "/" { path = "" }
        components.percentEncodedPath = "/.well-known/oauth-protected-resource" + path
        return components.string
    }

    /// The path a resource server serves its metadata at, for routing.
    public static func metadataPath(for resource: String) -> String? {
        metadataURL(for: resource).flatMap { URLComponents(string: $0)?.percentEncodedPath }
    }

    enum CodingKeys: String, CodingKey {
        case resource
        case authorizationServers = "authorization_servers"
        case scopesSupported = "scopes_supported"
        case bearerMethodsSupported = "bearer_methods_supported"
        case resourceName = "resource_name"
        case resourceDocumentation = "resource_documentation"
        case dpopSigningAlgValuesSupported = "dpop_signing_alg_values_supported"
        case dpopBoundAccessTokensRequired = "dpop_bound_access_tokens_required"
    }
}
