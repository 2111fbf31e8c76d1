import Foundation
import TesseraEngine
import TesseraProtocol
import Yams

/// Builds a ``ServerConfiguration`` from defaults, a YAML (or JSON) file and environment variables,
/// in that order of precedence (later wins). Command-line flags are applied by the caller last.
public enum ConfigurationLoader {
    /// The environment variables read, with the config-file key each overrides.
    public static let environmentKeys: [(variable: String, key: String)] = [
        ("TESSERA_HOST", "host"), ("TESSERA_PORT", "port"), ("TESSERA_ISSUER", "issuer"), ("TESSERA_DATABASE", "database"),
        ("TESSERA_DATA_DIR", "data_dir"), ("TESSERA_ACCESS_TOKEN_LIFETIME", "access_token_lifetime"),
        ("TESSERA_REFRESH_TOKEN_LIFETIME", "refresh_token_lifetime"),
        ("TESSERA_ID_TOKEN_LIFETIME", "id_token_lifetime"), ("TESSERA_SIGNING_ALGORITHM", "signing_algorithm"),
        ("TESSERA_LOG_LEVEL", "log_level"),
        ("TESSERA_KEY_ENCRYPTION_KEY_FILE", "keys.encryption_key_file"), ("TESSERA_KEY_ENCRYPTION_KEY", "keys.encryption_key"),
    ]

    /// - Parameters:
    ///   - file: the config file's contents, or `nil`.
    ///   - environment: the process environment (only `TESSERA_*` is read).
    /// - Returns: The server configuration, defaults filled in.
    /// - Throws: ``ConfigurationError`` naming the field that is wrong.
    public static func load(file: String?, environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let file {
            let document: FileDocument
            do {
                document = try YAMLDecoder().decode(Strict<FileDocument>.self, from: file).value
            } catch let DecodingError.keyNotFound(key, context) {
                throw ConfigurationError(field: path(context.codingPath + [key]), "is required")
            } catch let DecodingError.typeMismatch(_, context) {
                throw ConfigurationError(field: path(context.codingPath), "has the wrong type")
            } catch let DecodingError.dataCorrupted(context) {
                throw ConfigurationError(field: path(context.codingPath), "is not valid: \(context.debugDescription)")
            } catch {
                throw ConfigurationError(field: "(file)", "is not valid YAML or JSON: \(error)")
            }
            try document.apply(to: &configuration)
        }
        for (variable, key) in environmentKeys {
            guard let value = environment[variable] else { continue }
            try apply(key: key, value: value, to: &configuration, source: variable)
        }
        return configuration
    }

    /// Applies one setting given as text (environment variable or flag).
    public static func apply(
        key: String,
        value: String,
        to configuration: inout ServerConfiguration,
        source: String
    ) throws(ConfigurationError) {
        switch key {
        case "host": configuration.host = value
        case "port":
            guard let port = Int(value) else { throw ConfigurationError(field: source, "must be a port number") }
            configuration.port = port
        case "issuer": configuration.issuer = value
        case "database": configuration.database = value
        case "data_dir": configuration.dataDirectory = value
        case "access_token_lifetime":
            guard let seconds = TimeInterval(value) else { throw ConfigurationError(field: source, "must be a number of seconds") }
            configuration.accessTokenLifetime = seconds
        case "id_token_lifetime":
            guard let seconds = TimeInterval(value) else { throw ConfigurationError(field: source, "must be a number of seconds") }
            configuration.idTokenLifetime = seconds
        case "refresh_token_lifetime":
            guard let seconds = TimeInterval(value) else { throw ConfigurationError(field: source, "must be a number of seconds") }
            configuration.refreshTokenLifetime = seconds
        case "signing_algorithm": configuration.signingAlgorithm = JWSAlgorithm(rawValue: value)
        case "log_level": configuration.logLevel = value
        case "keys.encryption_key_file": configuration.keys.encryptionKey = try KeySettings.encryptionKey(file: value, field: source)
        case "keys.encryption_key": configuration.keys.encryptionKey = try KeySettings.encryptionKey(text: value, field: source)
        default: throw ConfigurationError(field: source, "is not a known setting")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// The file's shape: snake_case keys, every member optional.
    private struct FileDocument: StrictlyDecodable {
        var host: String?
        var port: Int?
        var issuer: String?
        var database: String?
        var dataDir: String?
        var accessTokenLifetime: Double?
        var refreshTokenLifetime: Double?
        var idTokenLifetime: Double?
        var signingAlgorithm: String?
        var logLevel: String?
        var clients: [FileClient]?
        var gnap: FileGNAP?
        var chaining: FileChaining?
        var outboundNetwork: FileOutbound?
        /// The former name of `outbound_network:`, which read like `chaining.peers[].outbound` (claims transcription).
        var deprecatedOutbound: FileOutbound?
        var outboundTLS: Strict<FileOutboundTLS>?
        var clientIDMetadataDocuments: FileClientMetadata?
        var clientChallenges: FileClientChallenges?
        var dpop: Strict<FileDPoP>?
        var authorizationDetailsTypes: [AuthorizationDetailsTypeDefinition]?
        var users: [FileUser]?
        var requirePushedAuthorizationRequests: Bool?
        var tls: Strict<FileTLS>?
        var trustedProxies: [String]?
        var keys: FileKeys?
        var metrics: FileMetrics?
        var signIn: Strict<FileSignIn>?
        var registration: FileRegistration?
        /// `required` or `optional` (the default): whether every client must send `resource` (RFC 8707).
        var resourceIndicators: String?
        var policy: FilePolicy?
        var messageCatalogs: [String: String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case host, port, issuer, database
            case dataDir = "data_dir"
            case accessTokenLifetime = "access_token_lifetime"
            case refreshTokenLifetime = "refresh_token_lifetime"
            case idTokenLifetime = "id_token_lifetime"
            case signingAlgorithm = "signing_algorithm"
            case logLevel = "log_level"
            case clients, gnap, chaining
            case outboundNetwork = "outbound_network"
            case deprecatedOutbound = "outbound"
            case outboundTLS = "outbound_tls"
            case clientIDMetadataDocuments = "client_id_metadata_documents"
            case clientChallenges = "client_challenges"
            case dpop
            case authorizationDetailsTypes = "authorization_details_types"
            case users
            case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
            case tls
            case trustedProxies = "trusted_proxies"
            case keys, metrics
            case signIn = "sign_in"
            case registration
            case resourceIndicators = "resource_indicators"
            case policy
            case messageCatalogs = "message_catalogs"
        }

        func apply(to configuration: inout ServerConfiguration) throws(ConfigurationError) {
            if let host { configuration.host = host }
            if let port { configuration.port = port }
            if let issuer { configuration.issuer = issuer }
            if let database { configuration.database = database }
            if let dataDir { configuration.dataDirectory = dataDir }
            if let requirePushedAuthorizationRequests {
                configuration.requirePushedAuthorizationRequests = requirePushedAuthorizationRequests
            }
            if let accessTokenLifetime { configuration.accessTokenLifetime = accessTokenLifetime }
            if let refreshTokenLifetime { configuration.refreshTokenLifetime = refreshTokenLifetime }
            if let idTokenLifetime { configuration.idTokenLifetime = idTokenLifetime }
            if let signingAlgorithm { configuration.signingAlgorithm = JWSAlgorithm(rawValue: signingAlgorithm) }
            if let logLevel { configuration.logLevel = logLevel }
            if let clients { configuration.clients = clients.map(\.definition) }
            switch resourceIndicators {
            case nil, "optional": break
            case "required": configuration.resourceIndicators.everyClient = true
            default: throw ConfigurationError(field: "resource_indicators", "must be 'required' or 'optional'")
            }
            if let gnap { gnap.apply(to: &configuration.gnap) }
            if let chaining { try chaining.apply(to: &configuration.chaining) }
            try applyOutboundNetwork(to: &configuration)
            outboundTLS?.value.apply(to: &configuration)
            clientIDMetadataDocuments?.apply(to: &configuration)
            try clientChallenges?.apply(to: &configuration)
            if let dpop { try dpop.value.apply(to: &configuration.dpop) }
            if let tls { configuration.tls = try tls.value.settings() }
            if let trustedProxies { configuration.trustedProxies = try FileTLS.networks(trustedProxies) }
            try keys?.apply(to: &configuration.keys)
            try metrics?.apply(to: &configuration.metrics)
            signIn?.value.apply(to: &configuration.signIn)
            try registration?.apply(to: &configuration.registration)
            try policy?.apply(to: &configuration)
            if let authorizationDetailsTypes { configuration.authorizationDetailsTypes = authorizationDetailsTypes }
            if let messageCatalogs { configuration.messageCatalogs = messageCatalogs }
            if let users {
                configuration.users = users.map {
                    UserDefinition(username: $0.username, password: $0.password, passwordHash: $0.passwordHash, displayName: $0.displayName)
                }
            }
        }

        /// `outbound_network:`, or its deprecated name `outbound:` with a notice for the log; both at once is an error.
        private func applyOutboundNetwork(to configuration: inout ServerConfiguration) throws(ConfigurationError) {
            switch (outboundNetwork, deprecatedOutbound) {
            case (.some, .some):
                throw ConfigurationError(field: "outbound", "is the deprecated name of outbound_network; give only outbound_network")
            case (let section?, nil):
                try section.apply(to: &configuration, section: "outbound_network")
            case (nil, let section?):
                configuration.deprecationNotices.append(
                    "configuration 'outbound' is deprecated: rename it 'outbound_network' (it is the network allow-list, unrelated to chaining.peers[].outbound)"
                )
                try section.apply(to: &configuration, section: "outbound")
            case (nil, nil):
                break
            }
        }
    }

    /// The `keys:` section.
    private struct FileKeys: Decodable {
        var refreshInterval: Double?
        var publishDelay: Double?
        var encryptionKeyFile: String?
        enum CodingKeys: String, CodingKey {
            case refreshInterval = "refresh_interval"
            case publishDelay = "publish_delay"
            case encryptionKeyFile = "encryption_key_file"
        }

        func apply(to settings: inout KeySettings) throws(ConfigurationError) {
            if let refreshInterval { settings.refreshInterval = refreshInterval }
            if let publishDelay { settings.publishDelay = publishDelay }
            if let encryptionKeyFile {
                settings.encryptionKey = try KeySettings.encryptionKey(file: encryptionKeyFile, field: "keys.encryption_key_file")
            }
        }
    }

    /// The `metrics:` section.
    private struct FileMetrics: Decodable {
        var allowedNetworks: [String]?
        enum CodingKeys: String, CodingKey { case allowedNetworks = "allowed_networks" }

        func apply(to exposure: inout MetricsExposure) throws(ConfigurationError) {
            guard let allowedNetworks else { return }
            exposure.allowedNetworks = try allowedNetworks.enumerated().map { index, text throws(ConfigurationError) in
                guard let network = IPNetwork(text) else {
                    throw ConfigurationError(
                        field: "metrics.allowed_networks[\(index)]",
                        "must be an IP address or CIDR block such as 10.0.0.0/8"
                    )
                }
                return network
            }
        }
    }

    /// An entry of `users:`.
    private struct FileUser: Decodable {
        var username: String
        var password: String?
        var passwordHash: String?
        var displayName: String?
        enum CodingKeys: String, CodingKey {
            case username, password
            case passwordHash = "password_hash"
            case displayName = "display_name"
        }
    }

    /// `gnap.interaction:`.
    private struct FileInteraction: Decodable {
        var lifetime: Double?
        var resourceOwners: [String: String]?
        var pushTimeout: Double?
        enum CodingKeys: String, CodingKey {
            case lifetime
            case resourceOwners = "resource_owners"
            case pushTimeout = "push_timeout"
        }
    }

    /// The `gnap:` section.
    private struct FileGNAP: Decodable {
        struct Instance: Decodable {
            var id: String
            var key: GNAPKey
            var displayName: String?
            var allowedAccess: [String]?
            var allowBearer: Bool?
            enum CodingKeys: String, CodingKey {
                case id, key
                case displayName = "display_name"
                case allowedAccess = "allowed_access"
                case allowBearer = "allow_bearer"
            }
        }
        struct ResourceServer: Decodable {
            var id: String
            var key: GNAPKey
            var audiences: [String]
        }
        var continuationWait: Int?
        var allowUnknownClients: Bool?
        var grantLifetime: Double?
        var instances: [Instance]?
        var resourceServers: [ResourceServer]?
        var interaction: FileInteraction?

        enum CodingKeys: String, CodingKey {
            case continuationWait = "continuation_wait"
            case allowUnknownClients = "allow_unknown_clients"
            case grantLifetime = "grant_lifetime"
            case instances
            case resourceServers = "resource_servers"
            case interaction
        }

        func apply(to gnap: inout GNAPConfiguration) {
            if let continuationWait { gnap.continuationWait = continuationWait }
            if let allowUnknownClients { gnap.allowUnknownClients = allowUnknownClients }
            if let grantLifetime { gnap.grantLifetime = grantLifetime }
            if let instances {
                gnap.instances = instances.map {
                    GNAPConfiguration.Instance(
                        id: $0.id,
                        key: $0.key,
                        displayName: $0.displayName,
                        allowedAccess: Set($0.allowedAccess ?? []),
                        allowBearer: $0.allowBearer ?? false
                    )
                }
            }
            if let interaction {
                if let lifetime = interaction.lifetime { gnap.interaction.lifetime = lifetime }
                if let owners = interaction.resourceOwners { gnap.interaction.resourceOwners = owners }
                if let timeout = interaction.pushTimeout {
                    gnap.interaction.pushTimeout = .seconds(Int64(max(1, min(timeout, 30))))
                }
            }
            if let resourceServers {
                gnap.resourceServers = resourceServers.map {
                    GNAPConfiguration.ResourceServer(id: $0.id, key: $0.key, audiences: Set($0.audiences))
                }
            }
        }
    }

    private struct FileClient: Decodable {
        var definition: ClientDefinition

        enum CodingKeys: String, CodingKey {
            case id, auth, secret, jwks
            case jwksURI = "jwks_uri"
            case grantTypes = "grant_types"
            case scopes
            case redirectURIs = "redirect_uris"
            case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
            case introspectionAudiences = "introspection_audiences"
            case requireResource = "require_resource"
            case clientName = "client_name"
        }

        init(from decoder: any Decoder) throws {
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            // `jwks` may be written inline as a mapping or as a JSON string.
            var jwks: String?
            if let text = try? keyed.decodeIfPresent(String.self, forKey: .jwks) {
                jwks = text
            } else if let set = try keyed.decodeIfPresent(PublicJWKSet.self, forKey: .jwks) {
                jwks = String(decoding: try JSONEncoder().encode(set), as: UTF8.self)
            }
            // `grant_types` may be a list or a comma-separated string, like the CLI flag.
            var grantTypes: [String]
            if let list = try? keyed.decode([String].self, forKey: .grantTypes) {
                grantTypes = list
            } else {
                grantTypes = try keyed.decode(String.self, forKey: .grantTypes).split(separator: ",").map(String.init)
            }
            grantTypes = grantTypes.map { $0.trimmingCharacters(in: .whitespaces) }
            definition = ClientDefinition(
                id: try keyed.decode(String.self, forKey: .id),
                auth: try keyed.decode(String.self, forKey: .auth),
                secret: try keyed.decodeIfPresent(String.self, forKey: .secret),
                jwks: jwks,
                jwksURI: try keyed.decodeIfPresent(String.self, forKey: .jwksURI),
                grantTypes: grantTypes,
                scopes: try keyed.decodeIfPresent(String.self, forKey: .scopes) ?? ""
            )
            definition.redirectURIs = try keyed.decodeIfPresent([String].self, forKey: .redirectURIs) ?? []
            definition.requirePushedAuthorizationRequests =
                try keyed.decodeIfPresent(Bool.self, forKey: .requirePushedAuthorizationRequests) ?? false
            definition.introspectionAudiences = try keyed.decodeIfPresent([String].self, forKey: .introspectionAudiences) ?? []
            definition.requireResource = try keyed.decodeIfPresent(Bool.self, forKey: .requireResource) ?? false
            definition.clientName = try keyed.decodeIfPresent(String.self, forKey: .clientName)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension Decoder {
    /// The keyed container of a configuration section, refusing keys the section does not know: a
    /// misspelt setting is an error, not silently ignored.
    /// - Parameter keys: the section's keys.
    /// - Returns: The container.
    /// - Throws: `DecodingError.dataCorrupted` ("unknown setting") naming the first unknown key.
    func strictContainer<Keys: CodingKey & CaseIterable>(keyedBy keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        let any = try container(keyedBy: ConfigurationLoader.AnyKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        if let unknown = any.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(.init(codingPath: any.codingPath + [unknown], debugDescription: "unknown setting"))
        }
        return try container(keyedBy: keys)
    }
}

/// A configuration section whose `CodingKeys` name every setting it accepts.
protocol StrictlyDecodable: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
}

/// A section decoded with its synthesized `Decodable` after ``Swift/Decoder/strictContainer(keyedBy:)`` has
/// refused any key it does not know: a misspelt setting is an error, not silently ignored.
struct Strict<Value: StrictlyDecodable>: Decodable {
    var value: Value

    init(from decoder: any Decoder) throws {
        _ = try decoder.strictContainer(keyedBy: Value.CodingKeys.self)
        value = try Value(from: decoder)
    }
}
