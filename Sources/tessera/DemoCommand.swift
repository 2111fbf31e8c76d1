import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraResourceHummingbird
import TesseraServer

extension Tessera {
    /// `tessera demo`: guided walks through flows, on servers started just for the walk.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk through a flow step by step on local servers.",
            subcommands: [Chaining.self, GNAPDemo.self, MCPDemo.self]
        )
    }
}

extension Tessera.Demo {
    /// `tessera demo chaining`: identity and authorization chaining across two trust domains
    /// (draft-ietf-oauth-identity-chaining), on two in-memory servers on loopback ports.
    struct Chaining: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Identity chaining: token at AS-A, token exchange for a grant, jwt-bearer at AS-B, call to RS-B.",
            discussion: """
                Starts AS-A (trust domain a), AS-B (trust domain b) and a resource server RS-B on free
                loopback ports with in-memory databases, then walks the flow, printing every request and
                the decoded tokens: a client of domain A gets a token at AS-A, exchanges it at AS-A
                (RFC 8693, with a DPoP proof) for a JWT authorization grant whose audience is AS-B and
                which carries the client's key as requested_cnf, redeems that grant at AS-B (RFC 7523)
                for a DPoP-bound access token of domain B, and calls RS-B with it. Ends with the
                attacks that are refused. Nothing is written to disk.
                """
        )

        @Option(help: "Address both servers listen on.")
        var host = "127.0.0.1"

        func run() async throws {
            DemoNarration.quietLogs()
            let walk = try await ChainingWalk(host: host)
            try await walk.run()
        }
    }
}

/// The demo's two servers and its narration.
struct ChainingWalk {
    let issuerA: String
    let issuerB: String
    let resourceB: String
    let serverA: TesseraApplication
    let serverB: TesseraApplication
    let resourceServer: Application<RouterResponder<OAuthResourceContext>>
    /// The client's DPoP key (RFC 9449): AS-A relays it to AS-B, which binds its token to it.
    let dpop = DPoPProofSigner()
    let secretA = TokenIssuer.randomIdentifier()
    let secretB = TokenIssuer.randomIdentifier()
    static let clientID = "travel-app"

    static let policy = """
        // AS-B: domain a may obtain "read" for any subject, "book" only for mapped employees.
        permit (principal == Peer::"a", action == Action::"request_scope", resource == Scope::"read");
        permit (principal == Peer::"a", action == Action::"request_scope", resource == Scope::"book")
          when { context.subject like "*@b.example" };
        """

    init(host: String) async throws {
        let portA = try FreePort.find(host: host)
        let portB = try FreePort.find(host: host)
        issuerA = "http://\(host):\(portA)"
        issuerB = "http://\(host):\(portB)"
        let portRS = try FreePort.find(host: host)
        resourceB = "http://\(host):\(portRS)"

        var a = DemoNarration.server(
            host: host,
            port: portA,
            client: Self.clientID,
            secret: secretA,
            grantTypes: ["client_credentials", GrantType.tokenExchange.rawValue],
            scopes: "read book"
        )
        a.chaining.domain = "a"
        var peerB = TrustConfiguration.Peer(name: "b", issuer: issuerB, audiences: [issuerB, issuerB + "/token"])
        peerB.outbound.subjectMap = [Self.clientID: "travel-app@b.example"]
        a.chaining.peers = [peerB]

        var b = DemoNarration.server(
            host: host,
            port: portB,
            client: Self.clientID,
            secret: secretB,
            grantTypes: [GrantType.jwtBearer.rawValue],
            scopes: "read book"
        )
        b.chaining.domain = "b"
        var peerA = TrustConfiguration.Peer(name: "a", issuer: issuerA)
        peerA.jwksURI = issuerA + "/jwks"
        b.chaining.peers = [peerA]
        b.chaining.policy = try ChainingPolicy(text: Self.policy, source: "demo policy")

        let logger = Logger(label: "tessera-demo")
        serverA = try await buildApplication(a, dependencies: ServerDependencies(logger: logger))
        serverB = try await buildApplication(b, dependencies: ServerDependencies(logger: logger))
        resourceServer = Self.bookingsAPI(issuer: issuerB, resource: resourceB, host: host, port: portRS, logger: logger)
    }

    /// RS-B: a protected API of domain b, built with the resource-server SDK in a few lines.
    static func bookingsAPI(
        issuer: String,
        resource: String,
        host: String,
        port: Int,
        logger: Logger
    )
        -> Application<RouterResponder<OAuthResourceContext>>
    {
        var configuration = OAuthResourceServer.Configuration(issuer: issuer, resource: resource)
        configuration.resourceName = "Bookings API (domain b)"
        let rs = OAuthResourceServer(configuration: configuration)
        let router = Router(context: OAuthResourceContext.self)
        router.addProtectedResourceMetadata(rs)
        router.group("api").add(middleware: OAuthResourceMiddleware(rs, requiredScopes: Scope(["read"])))
            .get("bookings") { _, context -> String in
                guard let token = context.accessToken else { return "{}" }
                let answer: [String: Any] = [
                    "bookings_of": token.subject, "client_id": token.clientID ?? "", "scope": token.scopes.description,
                    "bound_to_key": token.confirmation?.jkt ?? "", "presented_as": token.kind.rawValue,
                    "actors": token.actorChain.map(\.sub),
                ]
                let data = (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                return String(decoding: data, as: UTF8.self)
            }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
    }

    func run() async throws {
        try await DemoNarration.run(
            [serverA.application, serverB.application, resourceServer],
            readyAt: [issuerA + "/healthz", issuerB + "/healthz", resourceB + "/.well-known/oauth-protected-resource"],
            walk
        )
    }

    private func walk() async throws {
        print(
            """
            Identity and authorization chaining across trust domains (draft-ietf-oauth-identity-chaining)
              AS-A (domain a): \(issuerA)
              AS-B (domain b): \(issuerB)   trusts AS-A's keys from \(issuerA)/jwks
              RS-B (domain b): \(resourceB)/api/bookings   trusts AS-B, needs scope "read"
              client '\(Self.clientID)' is registered at both ASes and holds a DPoP key (jkt \(dpop.thumbprint));
              AS-B's Cedar policy:
            \(Self.policy.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))

            """
        )
        DemoNarration.step(1, "The client gets an access token from its own AS (client_credentials at AS-A)")
        let tokenA = try await post(issuerA, secret: secretA, ["grant_type": "client_credentials", "scope": "read book"])
        let accessA = try DemoNarration.require(tokenA, "access_token")
        DemoNarration.show(token: accessA)

        DemoNarration.step(2, "Token exchange at AS-A (RFC 8693) with a DPoP proof: audience = AS-B, scope narrowed to what domain B needs")
        let exchanged = try await post(issuerA, secret: secretA, exchange(accessA, scope: "read book"), dpop: true)
        let grant = try DemoNarration.require(exchanged, "access_token")
        print("  AS-A returns a JWT authorization grant: token_type N_A, lifetime 60 s, aud = AS-B only, subject mapped for")
        print("  domain b, and requested_cnf = the key the client proved (the seed's \"AS acting as client\" flow)")
        DemoNarration.show(token: grant)

        DemoNarration.step(3, "The client redeems the grant at AS-B (RFC 7523 jwt-bearer), for RS-B")
        let redeemed = try await post(
            issuerB,
            secret: secretB,
            ["grant_type": GrantType.jwtBearer.rawValue, "assertion": grant, "scope": "read book", "resource": resourceB]
        )
        let accessB = try DemoNarration.require(redeemed, "access_token")
        print("  AS-B checked the signature with AS-A's keys, aud, exp, the single-use jti and its Cedar policy, and bound")
        print("  its token to requested_cnf (token_type DPoP, cnf.jkt); no refresh token is issued")
        DemoNarration.show(token: accessB)

        DemoNarration.step(4, "The client calls RS-B with the token and a DPoP proof of its key")
        _ = try await get(resourceB + "/api/bookings", token: accessB, dpop: true)

        DemoNarration.step(5, "Attacks: the same grant again; AS-A's access token as a grant; more scope than the subject token;")
        print("  the domain-b token without the key (as a Bearer token)")
        _ = try await post(issuerB, secret: secretB, ["grant_type": GrantType.jwtBearer.rawValue, "assertion": grant])
        _ = try await post(issuerB, secret: secretB, ["grant_type": GrantType.jwtBearer.rawValue, "assertion": accessA])
        _ = try await post(issuerA, secret: secretA, exchange(accessA, scope: "read book admin"))
        _ = try await get(resourceB + "/api/bookings", token: accessB, dpop: false)
        print("\nDone: the user, the granted scope and the client's key crossed from domain a to a resource of domain b.")
    }

    /// The token exchange at AS-A (RFC 8693) that asks for a grant to AS-B with `scope`.
    private func exchange(_ subjectToken: String, scope: String) -> [String: String] {
        [
            "grant_type": GrantType.tokenExchange.rawValue, "subject_token": subjectToken,
            "subject_token_type": TokenTypeIdentifier.accessToken, "audience": issuerB, "scope": scope,
        ]
    }

    private func get(_ url: String, token: String, dpop withProof: Bool) async throws -> Int {
        print("  GET \(url)")
        var request = HTTPClientRequest(url: url)
        if withProof {
            request.headers.add(name: "Authorization", value: "DPoP " + token)
            request.headers.add(name: "DPoP", value: dpop.proof(method: "GET", uri: url, accessToken: token))
            print("  Authorization: DPoP <token>    DPoP: <proof: htm GET, htu, ath = hash of the token>")
        } else {
            request.headers.add(name: "Authorization", value: "Bearer " + token)
            print("  Authorization: Bearer <token>")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = String(decoding: Data(buffer: try await response.body.collect(upTo: 1 << 20)), as: UTF8.self)
        let challenge = response.headers["WWW-Authenticate"].first.map { "  WWW-Authenticate: \($0)" } ?? ""
        print("  → HTTP \(response.status.code) \(body)\(challenge.isEmpty ? "" : "\n" + challenge)")
        return Int(response.status.code)
    }

    private func post(
        _ issuer: String,
        secret: String,
        _ parameters: [String: String],
        dpop withProof: Bool = false
    ) async throws -> [String: Any] {
        let proof = withProof ? [("DPoP", dpop.proof(method: "POST", uri: issuer + "/token"))] : []
        let sorted = parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return try await DemoNarration.postToken(issuer, clientID: Self.clientID, secret: secret, sorted, headers: proof).json
    }

}
