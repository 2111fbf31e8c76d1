public import Foundation
public import TesseraEngine
public import TesseraProtocol

/// Everything `tessera serve` can be told. Every member has a working default, so the server
/// starts with no configuration at all.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (logged at start).
    public var port = 8080
    /// The issuer identifier; defaults to the server's own base URL, `http://host:port`.
    public var issuer: String?
    /// `sqlite:PATH`, `sqlite::memory:`; defaults to `sqlite:<dataDirectory>/tessera.sqlite`.
    public var database: String?
    public var dataDirectory = "./tessera-data"
    public var accessTokenLifetime: TimeInterval = 3600
    public var refreshTokenLifetime: TimeInterval = 30 * 86_400
    /// How long ID tokens live, through either door (OpenID Connect Core §2 `exp`; RFC 9635 §3.4 assertions).
    public var idTokenLifetime: TimeInterval = 300
    /// Algorithm of the key generated on first start.
    public var signingAlgorithm: JWSAlgorithm = .es256
    public var clients: [ClientDefinition] = []
    /// Every client must push its authorization requests (RFC 9126 §5); a client can also be
    /// required to on its own (`require_pushed_authorization_requests` in its definition).
    public var requirePushedAuthorizationRequests = false
    /// The GNAP front door: registered instances, resource servers, wait and proof window.
    public var gnap = GNAPConfiguration()
    /// Trust domains: peers for identity chaining and trusted subject-token issuers.
    public var chaining = TrustConfiguration()
    /// DPoP at the token endpoint (RFC 9449): proof window and server nonces.
    public var dpop = DPoPConfiguration()
    public var logLevel = "info"
    /// Networks the server may reach when fetching a URL a client chose, although special-use
    /// (e.g. loopback for tests); everything else special-use is refused.
    public var outboundPolicy = OutboundAddressPolicy()
    /// How long a fetch of a client-chosen or configured URL (metadata documents, `jwks_uri`, peer metadata) may
    /// take in all before it is refused; GNAP push finishes have their own (`gnap.interaction.push_timeout`).
    public var outboundFetchTimeout: Duration = .seconds(5)
    /// Settings read under a deprecated name, one sentence each; the server logs them at start as warnings.
    public var deprecationNotices: [String] = []

    /// CA certificates trusted for outbound TLS besides the system roots (`outbound_tls:`).
    public var outboundTLS = OutboundTLSSettings()
    /// Whether a `client_id` that is an https URL is resolved as a Client ID Metadata Document.
    public var clientMetadataDocumentsEnabled = false
    /// Bounds for metadata-document clients: grant types, scopes, caching.
    public var clientMetadata = ClientMetadataResolver.Configuration()
    /// The policy that may challenge token requests for more client evidence.
    public var clientChallenges = ClientChallengeConfiguration()
    /// `authorization_details` types the AS knows (RFC 9396), with their Cedar profiles.
    public var authorizationDetailsTypes: [AuthorizationDetailsTypeDefinition] = []
    /// People who sign in to the interaction pages (added or updated at start).
    public var users: [UserDefinition] = []
    /// Native TLS termination (`tls:`), optionally asking clients for certificates (GNAP mtls).
    public var tls: TLSSettings?
    /// TLS-terminating proxies whose RFC 9440 `Client-Cert` field is believed (`trusted_proxies:`).
    public var trustedProxies: [IPNetwork] = []
    /// Signing keys across instances (refresh, publish-before-sign) and at rest (`keys:`).
    public var keys = KeySettings()
    /// Who may read `/metrics` (`metrics:`); loopback only by default.
    public var metrics = MetricsExposure()
    /// Sign-in throttles, the password-hashing pool and the anonymous-session bound (`sign_in:`).
    public var signIn = SignInConfiguration()
    /// Dynamic client registration, RFC 7591/7592 (`registration:`); off by default.
    public var registration = ClientRegistrationConfiguration()
    /// Clients that must send `resource` (RFC 8707) in authorization and token requests
    /// (`resource_indicators: required`, a client's `require_resource`, `client_id_metadata_documents.require_resource`).
    public var resourceIndicators = ResourceIndicatorRequirement()
    /// The owner's Cedar policies for the one decision point (`policy:`, docs/policy.md), validated
    /// when loaded; `nil` leaves the shipped defaults alone in charge.
    public var policy: OwnerPolicy?
    /// The interaction pages' catalogs a deployment adds or overrides (`message_catalogs:`): language
    /// tag → path of a YAML or JSON file of message id → text (docs/gnap-interaction.md, "Languages").
    public var messageCatalogs: [String: String] = [:]

    public init() {}

    /// The database URL in effect.
    public var databaseURL: String {
        database ?? "sqlite:" + URL(fileURLWithPath: dataDirectory).appendingPathComponent("tessera.sqlite").path
    }

    /// The issuer in effect once the port is known (`https` when the server terminates TLS).
    public func effectiveIssuer(port: Int) -> String {
        issuer ?? "\(tls == nil ? "http" : "https")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// Checks the settings that the types cannot.
    /// - Throws: ``ConfigurationError`` naming the field.
    public func validate() throws(ConfigurationError) {
        try require((0...65_535).contains(port), "port", "must be 0 to 65535")
        if let issuer {
            guard let url = URLComponents(string: issuer), url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false,
                url.query == nil, url.fragment == nil
            else { throw ConfigurationError(field: "issuer", "must be an http(s) URL without query or fragment (RFC 8414 §2)") }
            try Self.checkCanonical(issuer: issuer)
        }
        guard accessTokenLifetime >= 1, accessTokenLifetime <= 86_400 else {
            throw ConfigurationError(field: "access_token_lifetime", "must be 1 to 86400 seconds")
        }
        guard idTokenLifetime >= 1, idTokenLifetime <= 3600 else {
            throw ConfigurationError(field: "id_token_lifetime", "must be 1 to 3600 seconds")
        }
        try require(refreshTokenLifetime >= 60, "refresh_token_lifetime", "must be at least 60 seconds")
        guard SigningKeyGenerator.supportedAlgorithms.contains(signingAlgorithm) else {
            throw ConfigurationError(
                field: "signing_algorithm",
                "must be one of \(SigningKeyGenerator.supportedAlgorithms.map(\.rawValue).joined(separator: ", "))"
            )
        }
        try require((0...3600).contains(gnap.continuationWait), "gnap.continuation_wait", "must be 0 to 3600 seconds")
        for (index, instance) in gnap.instances.enumerated() {
            if instance.key.proof.method == "mtls" {
                try validateMutualTLSInstance(instance.key, field: "gnap.instances[\(index)].key")
                continue
            }
            guard instance.key.proof.method == "httpsig", let jwk = instance.key.jwk, jwk.alg != nil, jwk.kid != nil,
                (try? jwk.thumbprint()) != nil
            else {
                throw ConfigurationError(
                    field: "gnap.instances[\(index)].key",
                    "must be an httpsig key with a public JWK carrying alg and kid"
                )
            }
        }
        try validateTLS()
        try validateKeys()
        for (index, server) in gnap.resourceServers.enumerated() {
            if server.key.proof.method == "mtls" {
                try validateMutualTLSInstance(server.key, field: "gnap.resource_servers[\(index)].key")
            } else {
                guard server.key.proof.method == "httpsig", let jwk = server.key.jwk, jwk.alg != nil, jwk.kid != nil,
                    (try? jwk.thumbprint()) != nil
                else {
                    throw ConfigurationError(
                        field: "gnap.resource_servers[\(index)].key",
                        "must be an httpsig key with a public JWK carrying alg and kid, or an mtls certificate"
                    )
                }
            }
            try require(!server.audiences.isEmpty, "gnap.resource_servers[\(index)].audiences", "must list at least one audience")
        }
        try validateChaining()
        _ = try outboundTLS.clientConfiguration()
        if clientMetadata.allowHTTP, outboundPolicy.allowedNetworks.isEmpty {
            throw ConfigurationError(
                field: "client_id_metadata_documents.allow_http",
                "needs outbound_network.allowed_networks: plain http is only fetched from allow-listed networks"
            )
        }
        guard clientMetadata.minimumCacheLifetime >= 0, clientMetadata.maximumCacheLifetime >= clientMetadata.minimumCacheLifetime else {
            throw ConfigurationError(
                field: "client_id_metadata_documents.maximum_cache_lifetime",
                "must be at least minimum_cache_lifetime (and both ≥ 0)"
            )
        }
        guard (10...3600).contains(clientChallenges.sessionLifetime) else {
            throw ConfigurationError(field: "client_challenges.session_lifetime", "must be 10 to 3600 seconds")
        }
        guard (10...3600).contains(clientChallenges.maximumEvidenceAge) else {
            throw ConfigurationError(field: "client_challenges.maximum_evidence_age", "must be 10 to 3600 seconds")
        }
        if let policy = clientChallenges.policy {
            let source = clientChallenges.policyFile ?? "client_challenges.policy"
            do { _ = try TranslatedPolicies(text: policy, source: source, role: .clientChallenges) } catch {
                throw ConfigurationError(field: "client_challenges.policy", "cannot be translated into the one policy vocabulary: \(error)")
            }
        }
        for (index, signer) in clientChallenges.attesters.enumerated() where signer.jwks.keys.isEmpty {
            throw ConfigurationError(field: "client_challenges.attesters[\(index)].jwks", "must hold at least one key")
        }
        for (index, signer) in clientChallenges.mandateIssuers.enumerated() where signer.jwks.keys.isEmpty {
            throw ConfigurationError(field: "client_challenges.mandate_issuers[\(index)].jwks", "must hold at least one key")
        }
        try validateDPoP()
        try validateSignIn()
        try validateRegistration()
        try validateNormalization()
        var types = Set<String>()
        for (index, definition) in authorizationDetailsTypes.enumerated() {
            guard types.insert(definition.type).inserted else {
                throw ConfigurationError(field: "authorization_details_types[\(index)].type", "'\(definition.type)' is listed twice")
            }
        }
        var usernames = Set<String>()
        for (index, user) in users.enumerated() {
            do { try PeopleService.validate(username: user.username) } catch {
                throw ConfigurationError(field: "users[\(index)].username", error.message)
            }
            try require(usernames.insert(user.username).inserted, "users[\(index)].username", "'\(user.username)' is listed twice")
            guard (user.password == nil) != (user.passwordHash == nil) else {
                throw ConfigurationError(field: "users[\(index)]", "needs exactly one of password or password_hash")
            }
            if let password = user.password, password.count < PasswordHasher.minimumLength {
                throw ConfigurationError(field: "users[\(index)].password", "must be at least \(PasswordHasher.minimumLength) characters")
            }
            if let hash = user.passwordHash, !hash.hasPrefix("pbkdf2-sha256$") {
                throw ConfigurationError(field: "users[\(index)].password_hash", "must be a pbkdf2-sha256$… value (tessera users hash)")
            }
        }
        guard gnap.interaction.lifetime >= 1, gnap.interaction.lifetime <= 86_400 else {
            throw ConfigurationError(field: "gnap.interaction.lifetime", "must be 1 to 86400 seconds")
        }
        var seen = Set<String>()
        for (index, client) in clients.enumerated() {
            try require(seen.insert(client.id).inserted, "clients[\(index)].id", "'\(client.id)' is listed twice")
            if ClientAuthenticationMethod(rawValue: client.auth).usesSharedSecret, client.secret == nil {
                throw ConfigurationError(field: "clients[\(index)].secret", "is required for \(client.auth) clients in the config file")
            }
            do { _ = try client.validated(now: Date(timeIntervalSince1970: 0)) } catch {
                throw ConfigurationError(field: "clients[\(index)].\(error.field)", error.message)
            }
        }
    }
}

/// A person defined in the config file: a password (hashed at start) or a `password_hash`.
public struct UserDefinition: Sendable, Hashable {
    public var username: String
    public var password: String?
    public var passwordHash: String?
    public var displayName: String?

    public init(username: String, password: String? = nil, passwordHash: String? = nil, displayName: String? = nil) {
        self.username = username
        self.password = password
        self.passwordHash = passwordHash
        self.displayName = displayName
    }
}

/// A configuration value that is wrong; ``field`` names it as the config file spells it.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "configuration '\(field)': \(message)" }
}

/// Refuses the setting `field` with `message` unless `condition` holds: the range and shape checks of
/// ``ServerConfiguration/validate()``.
/// - Parameters:
///   - condition: what the setting must satisfy.
///   - field: the setting, as the config file names it.
///   - message: why it is refused.
/// - Throws: ``ConfigurationError`` when `condition` is false.
func require(_ condition: Bool, _ field: String, _ message: String) throws(ConfigurationError) {
    guard condition else { throw ConfigurationError(field: field, message) }
}
