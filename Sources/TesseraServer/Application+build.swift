import AsyncHTTPClient
public import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
import ServiceLifecycle
public import TesseraEngine
import TesseraProtocol
import TesseraStorage

/// What the application takes from its environment: the clock, the logger, outbound HTTP.
public struct ServerDependencies: Sendable {
    public var now: @Sendable () -> Date
    public var logger: Logger
    /// Fetches client `jwks_uri` documents; `nil` uses AsyncHTTPClient.
    public var jwksFetcher: (any JWKSFetcher)?

    public init(
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "tessera"),
        jwksFetcher: (any JWKSFetcher)? = nil
    ) {
        self.now = now
        self.logger = logger
        self.jwksFetcher = jwksFetcher
    }
}

/// A built server: the Hummingbird application plus what callers (the CLI, tests) need to know.
public struct TesseraApplication: Sendable {
    public let application: Application<IssuerPathResponder>
    public let engine: GrantEngine
    /// The port the server will listen on (resolved when the configuration said 0).
    public let port: Int
    /// Where the server listens (`http://host:port`); the issuer may differ.
    public let baseURL: String

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully: in-flight requests finish.
    public func run() async throws {
        try await application.runService()
    }
}

/// Builds the application `tessera serve` runs and tests drive: opens the store (migrations
/// included), applies config-file clients, loads or creates the signing keys, and wires routes.
/// - Throws: ``ConfigurationError`` for bad settings, ``StorageError`` when the store cannot be opened.
public func buildApplication(
    _ configuration: ServerConfiguration,
    dependencies: ServerDependencies = .init()
) async throws
    -> TesseraApplication
{
    try configuration.validate()
    let logger = dependencies.logger
    for notice in configuration.deprecationNotices { logger.warning("\(notice)") }
    // Port 0: a free port held until the server has bound it (FreePort.reserve), so that nothing
    // takes it during the migrations and key loading that come first.
    let reservation = configuration.port == 0 ? try FreePort.reserve(host: configuration.host) : nil
    let port = reservation?.port ?? configuration.port
    let issuer = configuration.effectiveIssuer(port: port)
    let connection = try await TesseraDatabase.open(url: configuration.databaseURL, logger: logger)
    let stores = connection.stores

    var configuredClients: [ClientRecord] = []
    for definition in configuration.clients {
        do {
            configuredClients.append(try definition.validated(now: dependencies.now()).record)
        } catch {
            throw ConfigurationError(field: "clients.\(error.field)", error.message)
        }
    }

    let keyRing = KeyRing(store: stores.keys, configuration: configuration.keyRingConfiguration, now: dependencies.now)

    // Migrations, config-file clients and signing keys. SQLite is ready now; PostgreSQL's pool only
    // serves while its service runs, so there this happens before the server starts listening.
    let clientsToApply = configuredClients
    let gnapToApply = configuration.gnap
    let people = PeopleService(
        store: stores.people,
        now: dependencies.now,
        hashing: PasswordHashingPool(configuration: configuration.signIn.hashing),
        anonymousSessionLimit: configuration.signIn.anonymousSessions
    )
    let usersToApply = configuration.users
    let prepareStores: @Sendable () async throws -> Void = {
        _ = try await connection.migrate()
        // OAuth clients, GNAP instances and resource servers from the file, into the one registry (issue 19).
        do {
            try await GNAPRegistry(clients: stores.clients, tokens: stores.tokens).reconcile(
                configuration: gnapToApply,
                oauthClients: clientsToApply,
                now: dependencies.now()
            )
        } catch let error as GNAPError {
            throw ConfigurationError(field: "gnap", error.message)
        }
        for user in usersToApply {
            if let hash = user.passwordHash {
                try await people.addUser(username: user.username, passwordHash: hash, displayName: user.displayName)
            } else if let password = user.password {
                // Skip the slow KDF when the stored hash already matches the configured password.
                if let stored = try await people.user(username: user.username),
                    PasswordHasher.verify(password, against: stored.passwordHash),
                    stored.displayName == user.displayName
                {
                    continue
                }
                try await people.addUser(username: user.username, password: password, displayName: user.displayName)
            }
        }
        try await keyRing.loadOrCreate()
        let plaintext = await keyRing.unencryptedKeyIDs()
        if configuration.keys.encryptionKey != nil, !plaintext.isEmpty {
            logger.warning(
                "signing keys are stored unencrypted although a key-encryption key is configured: run `tessera keys encrypt`",
                metadata: ["tessera.keys": "\(plaintext.joined(separator: ","))"]
            )
        }
    }
    var services: [any Service] = []
    if let databaseService = connection.service {
        services.append(databaseService)
    } else {
        try await prepareStores()
    }
    // Outbound TLS: the system roots plus the operator's CA bundle (`outbound_tls:`).
    let outboundTLS = try configuration.outboundTLS.clientConfiguration()
    let peerClient = try OutboundHTTPClients.peers(configuration.outboundTLS)
    let jwksFetcher: any JWKSFetcher
    if let fetcher = dependencies.jwksFetcher {
        jwksFetcher = fetcher
    } else {
        jwksFetcher = GuardedJWKSFetcher(fetcher: GuardedHTTPFetcher(policy: configuration.outboundPolicy, tls: outboundTLS))
    }

    let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
    var engineConfiguration = GrantEngine.Configuration(issuer: issuer, tokenEndpoint: base + Endpoints.token)
    engineConfiguration.accessTokenLifetime = configuration.accessTokenLifetime
    engineConfiguration.refreshTokenLifetime = configuration.refreshTokenLifetime
    engineConfiguration.idTokenLifetime = configuration.idTokenLifetime
    engineConfiguration.requirePushedAuthorizationRequests = configuration.requirePushedAuthorizationRequests
    engineConfiguration.resourceIndicators = configuration.resourceIndicators
    engineConfiguration.ownerPolicy = configuration.policy
    // Peer authorization servers are the operator's choice and may live on an internal network,
    // so their key sets are fetched without the client-URL guard.
    let peerJWKSFetcher: any JWKSFetcher
    if let fetcher = dependencies.jwksFetcher {
        peerJWKSFetcher = fetcher
    } else {
        peerJWKSFetcher = HTTPJWKSFetcher(client: peerClient, timeout: .seconds(10))
    }
    // Clients met on the fly (CIMD): their documents and key sets are fetched under the SSRF guard.
    let metadataClients =
        configuration.clientMetadataDocumentsEnabled
        ? ClientMetadataResolver(
            configuration: configuration.clientMetadata,
            fetcher: GuardedClientMetadataFetcher(fetcher: GuardedHTTPFetcher(policy: configuration.outboundPolicy, tls: outboundTLS)),
            store: stores.clientMetadata,
            now: dependencies.now
        ) : nil
    // The pages' languages: a catalog file that names an unknown message or changes a placeholder
    // refuses the start; one that lacks messages falls back per message, with a warning.
    let (catalogs, catalogWarnings) = try MessageCatalogs.load(files: configuration.messageCatalogs)
    for warning in catalogWarnings { logger.warning("\(warning)") }
    for (index, definition) in configuration.authorizationDetailsTypes.enumerated() {
        engineConfiguration.authorizationDetailsTypes.append(try definition.resolved(field: "authorization_details_types[\(index)]"))
    }
    var gnapConfiguration = configuration.gnap
    gnapConfiguration.mutualTLS = configuration.seesClientCertificates
    var engine = GrantEngine(
        configuration: engineConfiguration,
        stores: stores,
        keyRing: keyRing,
        jwksFetcher: jwksFetcher,
        peerJWKSFetcher: peerJWKSFetcher,
        peerTokenClient: HTTPPeerTokenClient(client: peerClient, timeout: .seconds(10)),
        gnap: gnapConfiguration,
        trust: configuration.chaining,
        metadataClients: metadataClients,
        dpop: configuration.dpop,
        now: dependencies.now
    )
    engine.challenges = try await ClientChallengeService.make(
        configuration: configuration.clientChallenges,
        issuer: issuer,
        stores: stores,
        authenticator: engine.authenticator,
        decisions: engine.decisions,
        now: dependencies.now
    )
    // Dynamic client registration (RFC 7591/7592), only when the operator turned it on.
    let registration: ClientRegistrationService? =
        configuration.registration.isEnabled
        ? ClientRegistrationService(
            configuration: configuration.registration,
            endpoint: base + Endpoints.registration,
            stores: stores,
            now: dependencies.now
        )
        : nil

    let metrics = ServerMetrics()
    let router = Router(context: TesseraRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    TokenRoute(engine: engine, metrics: metrics).addRoutes(to: router)
    IntrospectionRoute(engine: engine).addRoutes(to: router)
    RevocationRoute(engine: engine).addRoutes(to: router)
    MetadataRoute(engine: engine, registrationEndpoint: registration?.endpoint).addRoutes(to: router)
    OperationsRoute(engine: engine, metrics: metrics, exposure: configuration.metrics).addRoutes(to: router)
    let certificates = ClientCertificateSource(
        fromTLS: configuration.tls?.clientCertificates == .optional,
        trustedProxies: configuration.trustedProxies
    )
    GNAPRoutes(service: engine.gnap, adapter: GNAPRequestAdapter(issuer: issuer, certificates: certificates)).addRoutes(to: router)
    InteractionRoutes(
        service: engine.gnap,
        authorization: engine.authorization,
        people: people,
        cookie: SessionCookie(issuer: issuer),
        pusher: FinishPusher(
            fetcher: GuardedHTTPFetcher(
                policy: configuration.outboundPolicy,
                timeout: .milliseconds(Int64(configuration.gnap.interaction.pushTimeout.components.seconds) * 1000),
                tls: outboundTLS
            )
        ),
        signIn: configuration.signIn,
        catalogs: catalogs,
        now: dependencies.now
    ).addRoutes(to: router)
    AuthorizationRoutes(service: engine.authorization, people: people, cookie: SessionCookie(issuer: issuer), catalogs: catalogs)
        .addRoutes(to: router)
    AccountRoutes(
        service: engine.authorization,
        gnap: engine.gnap,
        people: people,
        cookie: SessionCookie(issuer: issuer),
        catalogs: catalogs
    )
    .addRoutes(to: router)
    PushedAuthorizationRoute(engine: engine).addRoutes(to: router)
    UserInfoRoute(engine: engine).addRoutes(to: router)
    if let registration { RegistrationRoute(service: registration, now: dependencies.now).addRoutes(to: router) }

    services.append(
        KeyRefreshService(keyRing: keyRing, interval: .milliseconds(Int64(configuration.keys.refreshInterval * 1000)), logger: logger)
    )
    var sweeper = ExpiredTokenSweeper(tokens: stores.tokens, now: dependencies.now, logger: logger, gnap: engine.gnap, people: people)
    sweeper.authorizationCodes = stores.authorizationCodes
    services.append(sweeper)

    let databaseName = stores.displayName
    let listenURL =
        "\(configuration.tls == nil ? "http" : "https")://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)"
    var server: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: .seconds(30)))
    if let tls = configuration.tls { server = try ServerTLS.server(tls, http: server) }
    var application = Application(
        // An issuer with a path is served below that path too (RFC 8414 §3.1; docs/mcp.md, "Issuers with a path").
        responder: IssuerPathResponder(router.buildResponder(), issuer: issuer),
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: port)),
        services: services,
        onServerRunning: { _ in
            reservation?.release()
            logger.info("Tessera listening on \(listenURL) (issuer \(issuer), database \(databaseName))")
        },
        logger: logger
    )
    if connection.service != nil {
        application.beforeServerStarts(perform: prepareStores)
    }
    return TesseraApplication(application: application, engine: engine, port: port, baseURL: listenURL)
}
