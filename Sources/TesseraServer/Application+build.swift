import AsyncHTTPClient
public import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import ServiceLifecycle
public import TesseraEngine
import TesseraProtocol

/// What the application takes from its environment: the clock, the logger, outbound HTTP.
public struct ServerDependencies: Sendable {
    public var now: @Sendable () -> Date
    public var logger: Logger
    /// Fetches client `jwks_uri` documents; `nil` uses AsyncHTTPClient.
    public var jwksFetcher: (any JWKSFetcher)?
    /// Tests only: the database as the engine should see it (``EngineDatabase/wrappingStores(_:)``); `nil` as opened.
    public var database: (@Sendable (EngineDatabase) -> EngineDatabase)?

    public init(
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "tessera"),
        jwksFetcher: (any JWKSFetcher)? = nil,
        database: (@Sendable (EngineDatabase) -> EngineDatabase)? = nil
    ) {
        self.now = now
        self.logger = logger
        self.jwksFetcher = jwksFetcher
        self.database = database
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
/// - Throws: ``ConfigurationError`` for bad settings, a storage error when the store cannot be opened.
public func buildApplication(
    _ configuration: ServerConfiguration,
    dependencies: ServerDependencies = .init()
) async throws
    -> TesseraApplication
{
    try configuration.validate()
    let logger = dependencies.logger
    for notice in configuration.deprecationNotices { logger.warning("\(notice)") }
    // A policy that can never apply (Cedar's impossiblePolicy) is valid, but most likely a misspelling (docs/policy.md).
    for warning in configuration.policy?.warnings ?? [] { logger.warning("owner policy: \(warning)") }
    for warning in configuration.translatedPolicyWarnings { logger.warning("policy file: \(warning)") }
    // Port 0: a free port held until the server has bound it (FreePort.reserve), so that nothing
    // takes it during the migrations and key loading that come first.
    let reservation = configuration.port == 0 ? try FreePort.reserve(host: configuration.host) : nil
    let port = reservation?.port ?? configuration.port
    let issuer = configuration.effectiveIssuer(port: port)
    let opened = try await EngineDatabase.open(url: configuration.databaseURL, logger: logger)
    let database = dependencies.database?(opened) ?? opened
    var configuredClients: [ValidatedClient] = []
    for definition in configuration.clients {
        do {
            configuredClients.append(try definition.validated(now: dependencies.now()))
        } catch {
            throw ConfigurationError(field: "clients.\(error.field)", error.message)
        }
    }
    let keyRing = database.keyRing(configuration: configuration.keyRingConfiguration, now: dependencies.now)
    let people = database.people(
        hashing: PasswordHashingPool(configuration: configuration.signIn.hashing),
        anonymousSessionLimit: configuration.signIn.anonymousSessions,
        now: dependencies.now
    )
    // Migrations, config-file clients, users and signing keys. SQLite is ready now; PostgreSQL's pool only
    // serves while its service runs, so there this happens before the server starts listening.
    let prepareStores: @Sendable () async throws -> Void = { [configuredClients] in
        try await database.migrate()
        // OAuth clients, GNAP instances and resource servers from the file, into the one registry (issue 19).
        do {
            try await database.reconcileRegistry(
                configuration: configuration.gnap,
                oauthClients: configuredClients,
                now: dependencies.now()
            )
        } catch let error as GNAPError {
            throw ConfigurationError(field: "gnap", error.message)
        }
        for user in configuration.users {
            guard
                let removed = try await people.ensureUser(
                    username: user.username,
                    password: user.password,
                    passwordHash: user.passwordHash,
                    displayName: user.displayName
                )
            else { continue }
            logger.warning(
                "users: '\(user.username)' is not re-created: `tessera users remove` removed this person on \(ISO8601DateFormatter().string(from: removed)). Delete the entry from the config file, or give the name to a new person knowingly with `tessera users add \(user.username) --force`"
            )
        }
        let clashes = try await database.partyNameClashes()
        guard clashes.isEmpty else {
            throw ConfigurationError(field: "users", "\(clashes.joined(separator: ", ")): \(PartyNames.rule); rename one of them")
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
    if let databaseService = database.service {
        services.append(databaseService)
    } else {
        try await prepareStores()
    }
    // Outbound TLS: the system roots plus the operator's CA bundle (`outbound_tls:`).
    let outboundTLS = try configuration.outboundTLS.clientConfiguration()
    let outboundTimeout = TimeAmount(configuration.outboundFetchTimeout)
    let peerClient = try OutboundHTTPClients.peers(configuration.outboundTLS)
    let jwksFetcher: any JWKSFetcher =
        dependencies.jwksFetcher
        ?? GuardedJWKSFetcher(fetcher: GuardedHTTPFetcher(policy: configuration.outboundPolicy, timeout: outboundTimeout, tls: outboundTLS))

    let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
    var engineConfiguration = GrantEngine.Configuration(issuer: issuer, tokenEndpoint: base + Endpoints.token)
    engineConfiguration.accessTokenLifetime = configuration.accessTokenLifetime
    engineConfiguration.refreshTokenLifetime = configuration.refreshTokenLifetime
    engineConfiguration.idTokenLifetime = configuration.idTokenLifetime
    engineConfiguration.requirePushedAuthorizationRequests = configuration.requirePushedAuthorizationRequests
    engineConfiguration.resourceIndicators = configuration.resourceIndicators
    engineConfiguration.ownerPolicy = configuration.policy
    // Peer authorization servers are the operator's choice and may live on an internal network,
    // so their key sets are fetched without the client-URL guard (not what their metadata names elsewhere: below).
    let peerJWKSFetcher: any JWKSFetcher = dependencies.jwksFetcher ?? HTTPJWKSFetcher(client: peerClient, timeout: .seconds(10))
    // Clients met on the fly (CIMD): their documents and key sets are fetched under the SSRF guard.
    let metadataClients =
        configuration.clientMetadataDocumentsEnabled
        ? database.metadataResolver(
            configuration: configuration.clientMetadata,
            fetcher: GuardedClientMetadataFetcher(
                fetcher: GuardedHTTPFetcher(policy: configuration.outboundPolicy, timeout: outboundTimeout, tls: outboundTLS)
            ),
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
        database: database,
        keyRing: keyRing,
        jwksFetcher: jwksFetcher,
        peerJWKSFetcher: peerJWKSFetcher,
        peerTokenClient: HTTPPeerTokenClient(client: peerClient, timeout: .seconds(10)),
        // What a peer's metadata names at another origin than the configured metadata URL: the peer's choice,
        // so under the same SSRF guard as clients' URLs (docs/SECURITY.md, "A peer's metadata cannot aim this
        // server at internal addresses").
        learnedPeerFetcher: dependencies.jwksFetcher == nil
            ? GuardedPeerFetcher(
                fetcher: GuardedHTTPFetcher(policy: configuration.outboundPolicy, timeout: outboundTimeout, tls: outboundTLS)
            )
            : nil,
        gnap: gnapConfiguration,
        trust: configuration.chaining,
        metadataClients: metadataClients,
        dpop: configuration.dpop,
        now: dependencies.now
    )
    try await engine.enableClientChallenges(configuration.clientChallenges)
    // Dynamic client registration (RFC 7591/7592), only when the operator turned it on.
    let registration: ClientRegistrationService? =
        configuration.registration.isEnabled
        ? engine.registration(configuration: configuration.registration, endpoint: base + Endpoints.registration) : nil
    // A lowered ceiling reaches the clients that registered under a higher one (L10).
    if let narrowed = try await registration?.applyCeiling(), !narrowed.isEmpty {
        dependencies.logger.notice(
            "narrowed \(narrowed.count) self-registered client(s) to registration.allowed_scopes and allowed_grant_types"
        )
    }

    let metrics = ServerMetrics()
    // RFC 9110 §9.3.2: every GET resource answers HEAD with the GET's status and header fields and no content.
    let router = Router(context: TesseraRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    // One error answer per door (``DoorErrors``): the routes behind it only throw.
    let oauth = router.group().add(middleware: DoorErrors(.oauth))
    // The token endpoint's DPoP nonce goes on every answer, errors included, so it sits outside the door's errors.
    TokenRoute(engine: engine, metrics: metrics).addRoutes(
        to: router.group().add(middleware: DPoPNonceMiddleware(dpop: engine.dpop)).add(middleware: DoorErrors(.oauth))
    )
    TokenManagementRoutes(engine: engine).addRoutes(to: oauth)
    PushedAuthorizationRoute(engine: engine).addRoutes(to: oauth)
    // UserInfo takes DPoP proofs too: the nonce to use next goes on its every answer, as on the token endpoint's.
    UserInfoRoute(engine: engine, endpoint: base + Endpoints.userInfo).addRoutes(
        to: router.group().add(middleware: DPoPNonceMiddleware(dpop: engine.dpop)).add(middleware: DoorErrors(.oauth))
    )
    if let registration { RegistrationRoute(service: registration, now: dependencies.now).addRoutes(to: oauth) }
    MetadataRoute(engine: engine, registrationEndpoint: registration?.endpoint).addRoutes(to: router)
    OperationsRoute(engine: engine, metrics: metrics, exposure: configuration.metrics).addRoutes(to: router)
    let certificates = ClientCertificateSource(
        fromTLS: configuration.tls?.clientCertificates == .optional,
        trustedProxies: configuration.trustedProxies
    )
    GNAPRoutes(engine: engine, adapter: GNAPRequestAdapter(issuer: issuer, certificates: certificates))
        .addRoutes(to: router.group().add(middleware: DoorErrors(.gnap)))
    let pages = router.group().add(middleware: DoorErrors(.pages(catalogs)))
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
    ).addRoutes(to: pages)
    AuthorizationRoutes(engine: engine, people: people, cookie: SessionCookie(issuer: issuer), catalogs: catalogs)
        .addRoutes(to: pages)
    AccountRoutes(
        engine: engine,
        people: people,
        cookie: SessionCookie(issuer: issuer),
        catalogs: catalogs
    )
    .addRoutes(to: pages)

    services.append(
        KeyRefreshService(keyRing: keyRing, interval: .milliseconds(Int64(configuration.keys.refreshInterval * 1000)), logger: logger)
    )
    services.append(ExpiredRecordSweeper(engine: engine, people: people, logger: logger))

    let databaseName = database.displayName
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
    if database.service != nil {
        application.beforeServerStarts(perform: prepareStores)
    }
    return TesseraApplication(application: application, engine: engine, port: port, baseURL: listenURL)
}
