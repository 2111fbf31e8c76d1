import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting

/// Two trust domains in one process: AS-A (`https://as-a.test`) mints JWT authorization grants
/// for AS-B (`https://as-b.test`), which redeems them with A's keys fetched through a stub
/// "jwks_uri" that reads A's key ring (so rotating A's keys is visible to B, as over HTTP).
struct ChainingFixture {
    static let issuerA = "https://as-a.test"
    static let issuerB = "https://as-b.test"
    static let issuerC = "https://as-c.test"
    static let externalIssuer = "https://idp.test"
    static let secret = TestClients.secret

    /// Returns A's published keys.
    struct KeyRingFetcher: JWKSFetcher, AuthorizationServerMetadataFetcher {
        let keyRing: KeyRing
        func fetchJWKS(from url: String) async throws -> PublicJWKSet {
            if url == ChainingFixture.externalIssuer + "/jwks" { return PublicJWKSet(keys: [TestClients.jwtClientPublicJWK]) }
            guard url == ChainingFixture.issuerA + "/jwks" else { throw OAuthError.invalidClient("unknown jwks_uri") }
            return await keyRing.jwks()
        }
        func fetchMetadata(from url: String) async throws -> [String: JSONValue] {
            switch url {
            case ChainingFixture.issuerA + "/.well-known/oauth-authorization-server":
                ["issuer": .string(ChainingFixture.issuerA), "jwks_uri": .string(ChainingFixture.issuerA + "/jwks")]
            case ChainingFixture.externalIssuer + "/.well-known/openid-configuration":
                ["issuer": .string(ChainingFixture.externalIssuer), "jwks_uri": .string(ChainingFixture.externalIssuer + "/jwks")]
            case ChainingFixture.issuerA + "/.well-known/upper-case-scheme":
                // RFC 3986 §3.1: the scheme is case-insensitive; this `jwks_uri` is A's own key set.
                ["issuer": .string(ChainingFixture.issuerA), "jwks_uri": .string("HTTPS://as-a.test/jwks")]
            case "https://impostor.test/metadata":
                ["issuer": .string("https://impostor.test"), "jwks_uri": .string(ChainingFixture.issuerA + "/jwks")]
            case "https://look-alike.test/metadata":
                // KELVIN SIGN: canonically equivalent to `https://as-a.test/K`, not identical (RFC 8414 §3.3).
                ["issuer": .string(ChainingFixture.issuerA + "/\u{212A}"), "jwks_uri": .string(ChainingFixture.issuerA + "/jwks")]
            default:
                throw OAuthError.invalidClient("unknown metadata URL")
            }
        }
    }

    /// Domain A's view of the external IdP: its metadata and keys (the test key).
    struct ExternalIssuerFetcher: JWKSFetcher, AuthorizationServerMetadataFetcher {
        func fetchJWKS(from url: String) async throws -> PublicJWKSet {
            guard url == ChainingFixture.externalIssuer + "/jwks" else { throw OAuthError.invalidClient("unknown jwks_uri") }
            return PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
        }
        func fetchMetadata(from url: String) async throws -> [String: JSONValue] {
            guard url == ChainingFixture.externalIssuer + "/.well-known/openid-configuration" else {
                throw OAuthError.invalidClient("unknown metadata URL")
            }
            return ["issuer": .string(ChainingFixture.externalIssuer), "jwks_uri": .string(ChainingFixture.externalIssuer + "/jwks")]
        }
    }

    struct Response {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var error: String? { json["error"] as? String }
        var description: String { json["error_description"] as? String ?? "" }
    }

    let clock: TestClock
    let a: TesseraApplication
    let b: TesseraApplication

    static func client(_ id: String, _ grantTypes: [String], scopes: String = "read write") -> ClientDefinition {
        ClientDefinition(id: id, auth: "client_secret_basic", secret: secret, grantTypes: grantTypes, scopes: scopes)
    }

    /// - Parameters: `configureA` / `configureB` adjust each domain before it is built.
    static func make(
        configureA: (inout ServerConfiguration) -> Void = { _ in },
        configureB: (inout ServerConfiguration) throws -> Void = { _ in }
    ) async throws -> ChainingFixture {
        let clock = TestClock()
        var configA = Fixtures.configuration()
        configA.issuer = issuerA
        configA.clients = [
            client("app", ["client_credentials", GrantType.tokenExchange.rawValue]),
            client("other", ["client_credentials", GrantType.tokenExchange.rawValue]),
            client("delegate", ["client_credentials", GrantType.tokenExchange.rawValue]),
            client("impersonator", [GrantType.tokenExchange.rawValue]),
            client("reader", ["client_credentials", GrantType.tokenExchange.rawValue]),
        ]
        var peerB = TrustConfiguration.Peer(name: "b", issuer: issuerB, audiences: [issuerB, issuerB + "/token"])
        peerB.outbound.claims = ["department"]
        configA.chaining.peers = [peerB, TrustConfiguration.Peer(name: "c", issuer: issuerC)]
        configA.chaining.delegationClients = ["delegate"]
        configA.chaining.impersonationClients = ["impersonator"]
        var idp = TrustConfiguration.SubjectTokenIssuer(issuer: externalIssuer)
        idp.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
        idp.algorithms = [.es256]
        configA.chaining.subjectTokenIssuers = [idp]
        configureA(&configA)
        let a = try await buildApplication(
            configA,
            dependencies: ServerDependencies(now: clock.closure, jwksFetcher: ExternalIssuerFetcher())
        )

        var configB = Fixtures.configuration()
        configB.issuer = issuerB
        configB.clients = [
            client("app", [GrantType.jwtBearer.rawValue, "refresh_token"]),
            client("reader", [GrantType.jwtBearer.rawValue], scopes: "read"),
        ]
        var peerA = TrustConfiguration.Peer(name: "a", issuer: issuerA)
        peerA.jwksURI = issuerA + "/jwks"
        peerA.inbound.subjectMap = ["app": "app@a"]
        peerA.inbound.claims = ["department"]
        peerA.inbound.claimPrefix = "a/"
        configB.chaining.peers = [peerA]
        try configureB(&configB)
        let b = try await buildApplication(
            configB,
            dependencies: ServerDependencies(now: clock.closure, jwksFetcher: KeyRingFetcher(keyRing: a.engine.keyRing))
        )
        return ChainingFixture(clock: clock, a: a, b: b)
    }

    /// Runs `body` with test clients for both domains.
    func run(_ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
        try await a.application.test(.router) { clientA in
            try await b.application.test(.router) { clientB in
                try await body(clientA, clientB)
            }
        }
    }

    static func post(
        _ client: any TestClientProtocol,
        _ form: [(String, String)],
        as id: String? = "app",
        path: String = "/token"
    ) async throws -> Response {
        let body = form.map { "\(FormParameters.encode($0.0))=\(FormParameters.encode($0.1))" }.joined(separator: "&")
        var headers = HTTPHelpers.form
        if let id { headers[.authorization] = TestClients.basicAuthorization(id: id, secret: secret) }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            Response(status: response.status, json: (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    /// A client-credentials access token from A.
    static func accessToken(_ client: any TestClientProtocol, as id: String = "app", scope: String = "read write") async throws -> String {
        let response = try await post(client, [("grant_type", "client_credentials"), ("scope", scope)], as: id)
        guard let token = response.json["access_token"] as? String else { throw OAuthError.serverError("no token: \(response.json)") }
        return token
    }

    static func exchange(
        _ client: any TestClientProtocol,
        subject: String,
        type: String = TokenTypeIdentifier.accessToken,
        as id: String = "app",
        extra: [(String, String)] = [("audience", issuerB)]
    ) async throws -> Response {
        try await post(
            client,
            [("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", subject), ("subject_token_type", type)] + extra,
            as: id
        )
    }

    static func redeem(
        _ client: any TestClientProtocol,
        grant: String,
        as id: String = "app",
        extra: [(String, String)] = []
    ) async throws -> Response {
        try await post(client, [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", grant)] + extra, as: id)
    }

    static func claims(_ token: String) throws -> JWTClaimSet { try JWTClaimSet(payload: try CompactJWS(parsing: token).payload) }

    /// A JWT signed with the test key (`kid` client-key-1) that the "external IdP" of domain A uses.
    static func signed(_ claims: [String: JSONValue], typ: String? = "JWT") async throws -> String {
        let signer = try await JWSSigner(privateJWK: TestClients.jwtClientPrivateJWK, kid: "client-key-1", algorithm: .es256)
        return try signer.sign(claims, type: typ)
    }
}
