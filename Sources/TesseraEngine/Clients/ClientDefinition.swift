public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// A client as an operator describes it (config file or `tessera clients add`), before validation.
public struct ClientDefinition: Sendable, Hashable, Codable {
    public var id: String
    public var auth: String
    public var secret: String?
    /// The JWK Set as JSON text.
    public var jwks: String?
    public var jwksURI: String?
    public var grantTypes: [String]
    /// Space-separated, as in OAuth.
    public var scopes: String
    /// Redirection endpoints for the authorization code grant (RFC 6749 §3.1.2), matched exactly.
    public var redirectURIs: [String] = []
    /// Whether the client must use pushed authorization requests (RFC 9126 §6).
    public var requirePushedAuthorizationRequests: Bool = false
    /// The token audiences this client serves as a resource server: it may introspect tokens
    /// addressed to one of them (RFC 7662 §4, the AS authorizes the caller). Empty for ordinary clients.
    public var introspectionAudiences: [String] = []
    /// The name people see on the consent and sign-in pages (`client_name`, `--name`), shown as
    /// registered by the operator. Optional: without it the pages name the client by its id.
    public var clientName: String?
    /// `require_resource` / `--require-resource`: every authorization and token request of this client
    /// must name its resources (RFC 8707 §2), stored with the client.
    public var requireResource: Bool = false

    public init(
        id: String,
        auth: String,
        secret: String? = nil,
        jwks: String? = nil,
        jwksURI: String? = nil,
        grantTypes: [String],
        scopes: String
    ) {
        self.id = id
        self.auth = auth
        self.secret = secret
        self.jwks = jwks
        self.jwksURI = jwksURI
        self.grantTypes = grantTypes
        self.scopes = scopes
    }

    enum CodingKeys: String, CodingKey {
        case id, auth, secret, jwks
        case jwksURI = "jwks_uri"
        case grantTypes = "grant_types"
        case scopes
        case redirectURIs = "redirect_uris"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case introspectionAudiences = "introspection_audiences"
        case clientName = "client_name"
        case requireResource = "require_resource"
    }

    public init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        id = try keyed.decode(String.self, forKey: .id)
        auth = try keyed.decode(String.self, forKey: .auth)
        secret = try keyed.decodeIfPresent(String.self, forKey: .secret)
        jwks = try keyed.decodeIfPresent(String.self, forKey: .jwks)
        jwksURI = try keyed.decodeIfPresent(String.self, forKey: .jwksURI)
        grantTypes = try keyed.decode([String].self, forKey: .grantTypes)
        scopes = try keyed.decode(String.self, forKey: .scopes)
        redirectURIs = try keyed.decodeIfPresent([String].self, forKey: .redirectURIs) ?? []
        requirePushedAuthorizationRequests = try keyed.decodeIfPresent(Bool.self, forKey: .requirePushedAuthorizationRequests) ?? false
        introspectionAudiences = try keyed.decodeIfPresent([String].self, forKey: .introspectionAudiences) ?? []
        clientName = try keyed.decodeIfPresent(String.self, forKey: .clientName)
        requireResource = try keyed.decodeIfPresent(Bool.self, forKey: .requireResource) ?? false
    }
}

/// A validated client definition, ready to store, with the secret to show once when Tessera generated it.
public struct ValidatedClient: Sendable {
    public var record: ClientRecord
    /// The plaintext secret when Tessera generated it; shown once, never stored.
    public var generatedSecret: String?
}

/// Why a client definition was refused; ``field`` names the offending field.
public struct ClientDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "client field '\(field)': \(message)" }
}

extension ClientDefinition {
    /// The grant types a client may be registered for.
    public static let supportedGrantTypes: [GrantType] = [
        .authorizationCode, .clientCredentials, .refreshToken, .tokenExchange, .jwtBearer,
    ]

    /// Validates the definition and hashes (or generates) its secret.
    /// - Throws: ``ClientDefinitionError`` naming the first field that is wrong.
    public func validated(now: Date) throws(ClientDefinitionError) -> ValidatedClient {
        guard !id.isEmpty, id.utf8.count <= 255, id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ClientDefinitionError(field: "id", "must be 1 to 255 printable ASCII characters without spaces")
        }
        let method = ClientAuthenticationMethod(rawValue: auth)
        guard ClientAuthenticationMethod.supported.contains(method) else {
            throw ClientDefinitionError(
                field: "auth",
                "must be one of \(ClientAuthenticationMethod.supported.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var types: [GrantType] = []
        for raw in grantTypes {
            let type = GrantType(rawValue: raw.trimmingCharacters(in: .whitespaces))
            guard Self.supportedGrantTypes.contains(type) else {
                throw ClientDefinitionError(
                    field: "grant_types",
                    "'\(raw)' is not supported (supported: \(Self.supportedGrantTypes.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            if !types.contains(type) { types.append(type) }
        }
        guard !types.isEmpty else { throw ClientDefinitionError(field: "grant_types", "at least one grant type is required") }
        if method == .none, types.contains(.clientCredentials) {
            throw ClientDefinitionError(
                field: "grant_types",
                "client_credentials needs an authenticated client (RFC 6749 §4.4), not auth 'none'"
            )
        }
        if method == .none, types.contains(.tokenExchange) {
            throw ClientDefinitionError(
                field: "grant_types",
                "token exchange needs an authenticated client (RFC 8693 §2.1; identity chaining §5.3), not auth 'none'"
            )
        }
        let scope: Scope
        do { scope = try Scope(parsing: scopes) } catch {
            throw ClientDefinitionError(field: "scopes", "contains a character RFC 6749 §3.3 does not allow")
        }

        var record = ClientRecord(id: id, authMethod: method, grantTypes: types, scopes: scope.tokens, createdAt: now)
        record.redirectURIs = try Self.validateRedirectURIs(redirectURIs)
        if types.contains(.authorizationCode), record.redirectURIs.isEmpty {
            throw ClientDefinitionError(
                field: "redirect_uris",
                "authorization_code needs at least one registered redirect URI (RFC 6749 §3.1.2.2)"
            )
        }
        record.requirePushedAuthorizationRequests = requirePushedAuthorizationRequests
        record.introspectionAudiences = try Self.validateIntrospectionAudiences(introspectionAudiences)
        record.clientName = try Self.validateClientName(clientName)
        record.requireResource = requireResource
        var generated: String?
        if method.usesSharedSecret {
            guard jwks == nil, jwksURI == nil else { throw ClientDefinitionError(field: "jwks", "only private_key_jwt clients have keys") }
            if let secret {
                guard secret.count >= ClientSecret.minimumLength else {
                    throw ClientDefinitionError(
                        field: "secret",
                        "must be at least \(ClientSecret.minimumLength) characters (omit it to have one generated)"
                    )
                }
                record.secretHash = ClientSecret.hash(secret)
            } else {
                let fresh = ClientSecret.generate()
                generated = fresh
                record.secretHash = ClientSecret.hash(fresh)
            }
        } else if method == .privateKeyJWT {
            guard secret == nil else { throw ClientDefinitionError(field: "secret", "private_key_jwt clients have no secret") }
            switch (jwks, jwksURI) {
            case (let jwks?, nil):
                record.jwks = try Self.validateJWKS(jwks)
            case (nil, let uri?):
                guard let url = URL(string: uri), url.scheme == "https" || url.scheme == "http", url.host != nil, url.fragment == nil
                else { throw ClientDefinitionError(field: "jwks_uri", "must be an absolute http(s) URL without a fragment") }
                record.jwksURI = uri
            case (nil, nil):
                throw ClientDefinitionError(field: "jwks", "private_key_jwt needs jwks or jwks_uri")
            case (.some, .some):
                throw ClientDefinitionError(field: "jwks", "give jwks or jwks_uri, not both")
            }
        } else {
            guard secret == nil, jwks == nil, jwksURI == nil else {
                throw ClientDefinitionError(field: "auth", "a public client (auth none) has no secret and no keys")
            }
        }
        return ValidatedClient(record: record, generatedSecret: generated)
    }

    /// Absolute URIs without a fragment (RFC 6749 §3.1.2): `https`, `http` only on a loopback
    /// host (RFC 8252 §7.3), or a private-use scheme with a dot (RFC 8252 §7.1). No spaces (they
    /// are stored space-separated), no user information (it could hide another host), and never `javascript:`,
    /// `data:` or `file:`. The rule for Client ID Metadata Documents too (review round 12, K4).
    static func validateRedirectURIs(_ uris: [String]) throws(ClientDefinitionError) -> [String] {
        var valid: [String] = []
        for uri in uris {
            guard uri.utf8.count <= 2000, !uri.contains(" "), !uri.contains("#"),
                uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
                let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased()
            else { throw ClientDefinitionError(field: "redirect_uris", "'\(uri)' is not an absolute URI without a fragment") }
            guard components.user == nil, components.password == nil else {
                throw ClientDefinitionError(field: "redirect_uris", "'\(uri)' carries user information")
            }
            switch scheme {
            case "https":
                guard let host = components.host, !host.isEmpty else {
                    throw ClientDefinitionError(field: "redirect_uris", "'\(uri)' has no host")
                }
            case "http":
                guard let host = components.host, ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()) else {
                    throw ClientDefinitionError(
                        field: "redirect_uris",
                        "'\(uri)': plain http is only allowed to a loopback host (RFC 8252 §7.3)"
                    )
                }
            case "javascript", "data", "file", "vbscript", "blob":
                throw ClientDefinitionError(field: "redirect_uris", "'\(uri)' uses a scheme that is never a redirect target")
            default:
                guard scheme.contains(".") else {
                    throw ClientDefinitionError(
                        field: "redirect_uris",
                        "'\(uri)': a private-use scheme must be a reversed domain name (RFC 8252 §7.1)"
                    )
                }
            }
            if !valid.contains(uri) { valid.append(uri) }
        }
        return valid
    }

    /// Token audiences as they appear in `aud` (RFC 7519 §4.1.3): at most 32 values of 1 to 2048
    /// printable ASCII characters without spaces (they are stored space-separated).
    static func validateIntrospectionAudiences(_ audiences: [String]) throws(ClientDefinitionError) -> [String] {
        guard audiences.count <= 32 else { throw ClientDefinitionError(field: "introspection_audiences", "at most 32 audiences") }
        var valid: [String] = []
        for audience in audiences {
            guard !audience.isEmpty, audience.utf8.count <= 2048, audience.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                throw ClientDefinitionError(
                    field: "introspection_audiences",
                    "'\(audience.prefix(100))' must be 1 to 2048 printable ASCII characters without spaces"
                )
            }
            if !valid.contains(audience) { valid.append(audience) }
        }
        return valid
    }

    /// The operator-given display name: 1 to 100 characters after trimming, no control or format
    /// characters (it is shown to people as the application's name: a bidirectional override could
    /// make it read as another; the pages escape it).
    /// - Parameter name: the name as given, or `nil`.
    /// - Returns: the trimmed name, or `nil` when none was given.
    /// - Throws: ``ClientDefinitionError`` for `client_name`.
    static func validateClientName(_ name: String?) throws(ClientDefinitionError) -> String? {
        guard let name else { return nil }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 100, DisplayedName.isDisplayable(trimmed) else {
            throw ClientDefinitionError(
                field: "client_name",
                "must be 1 to 100 characters without control or formatting characters (such as bidirectional overrides)"
            )
        }
        return trimmed
    }

    static func validateJWKS(_ text: String) throws(ClientDefinitionError) -> String {
        let set: PublicJWKSet
        do { set = try JSONDecoder().decode(PublicJWKSet.self, from: Data(text.utf8)) } catch {
            throw ClientDefinitionError(field: "jwks", "is not a JWK Set ({\"keys\": [...]})")
        }
        guard !set.keys.isEmpty else { throw ClientDefinitionError(field: "jwks", "has no keys") }
        for key in set.keys {
            guard JWSAlgorithm.asymmetricKeyTypes.contains(key.kty) else {
                throw ClientDefinitionError(field: "jwks", "key type '\(key.kty)' is not an asymmetric signing key")
            }
            do { _ = try key.thumbprint() } catch { throw ClientDefinitionError(field: "jwks", error.message) }
        }
        return text
    }
}
