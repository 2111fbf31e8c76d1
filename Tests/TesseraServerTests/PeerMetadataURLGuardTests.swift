import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A trusted peer's RFC 8414 metadata document names the URLs this server then fetches (`jwks_uri`) or posts
/// its client credentials to (`token_endpoint`). The metadata URL is the operator's; those URLs are the
/// peer's choice, so away from the metadata URL's origin they go through the same outbound guard as a
/// client's `jwks_uri` (RFC 9700 §4.16; docs/SECURITY.md, "A peer's metadata cannot aim this server at
/// internal addresses"): a peer (or whoever controls its document) cannot aim this server at 127.0.0.2 or
/// `[::1]` when `allowed_networks` is 127.0.0.1/32, and a jwt-bearer client cannot trigger that fetch by
/// naming an unknown `kid` (security review F8).
/// Real loopback listeners: the peer's document on 127.0.0.1, the "internal service" on 127.0.0.2 / `[::1]`.
@Suite struct PeerMetadataURLGuardTests {
    typealias F = ChainingFixture
    static let peerIssuer = "https://as-peer.test"
    static let jwtBearer = GrantType.jwtBearer.rawValue
    let clock = TestClock()

    static func client(_ grantTypes: [String]) -> ClientDefinition {
        ClientDefinition(id: "app", auth: "client_secret_basic", secret: F.secret, grantTypes: grantTypes, scopes: "read write")
    }

    /// The resource AS: trusts `peerIssuer`, whose keys it finds through the metadata at `metadataURL`.
    func resourceServer(metadataURL: String) async throws -> TesseraApplication {
        let loopback = try #require(IPNetwork("127.0.0.1/32"))
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [loopback])
            configuration.clients = [Self.client([Self.jwtBearer])]
            var peer = TrustConfiguration.Peer(name: "p", issuer: Self.peerIssuer)
            peer.metadataURL = metadataURL
            peer.inbound.subjectMap = ["app": "app@p"]
            configuration.chaining.peers = [peer]
        }
    }

    /// A JWT authorization grant from the peer, signed with the test key (`kid` client-key-1).
    func grant(for app: TesseraApplication, jti: String) async throws -> String {
        let now = Double(Int(clock.now.timeIntervalSince1970))
        return try await F.signed([
            "iss": .string(Self.peerIssuer), "sub": .string("app"), "aud": .string(app.engine.configuration.issuer),
            "iat": .number(now), "exp": .number(now + 60), "jti": .string(jti), "scope": .string("read"),
        ])
    }

    static func metadata(jwksURI: String? = nil, tokenEndpoint: String? = nil) -> String {
        var document: [String: String] = ["issuer": peerIssuer]
        document["jwks_uri"] = jwksURI
        document["token_endpoint"] = tokenEndpoint
        return String(decoding: (try? JSONSerialization.data(withJSONObject: document)) ?? Data(), as: UTF8.self)
    }

    @Test(arguments: ["127.0.0.2", "::1"])
    func aJWKSURIInThePeersMetadataIsNotFetchedFromOutsideTheAllowedNetworks(_ internalHost: String) async throws {
        let (peer, inside) = (ClientMetadataDocumentServer(), ClientMetadataDocumentServer())
        // The internal service would even answer with the grant's key: the fetch itself is the harm.
        inside.set("/internal-admin", json: TestClients.jwtClientJWKS)
        try await inside.run(host: internalHost) { insideBase in
            try await peer.run { peerBase in
                peer.set("/.well-known/oauth-authorization-server", json: Self.metadata(jwksURI: insideBase + "/internal-admin?x=1"))
                let app = try await resourceServer(metadataURL: peerBase + "/.well-known/oauth-authorization-server")
                try await app.application.test(.router) { client in
                    let response = try await F.redeem(client, grant: try await grant(for: app, jti: "g-1"))
                    #expect(response.status == .badRequest, "\(response.json)")
                    #expect(response.error == "invalid_grant")
                    #expect(response.description.contains("jwks_uri"), "\(response.description)")
                    #expect(inside.fetchCount("/internal-admin") == 0, "the AS connected to \(internalHost)")
                }
            }
        }
    }

    @Test func aJWKSURIAtTheMetadataOriginOrInsideTheAllowedNetworksIsStillUsed() async throws {
        let (peer, keys) = (ClientMetadataDocumentServer(), ClientMetadataDocumentServer())
        keys.set("/jwks", json: TestClients.jwtClientJWKS)
        try await keys.run { keysBase in
            try await peer.run { peerBase in
                peer.set("/jwks", json: TestClients.jwtClientJWKS)
                // Same origin as the configured metadata URL: the operator's own choice of server.
                peer.set("/same/.well-known/oauth-authorization-server", json: Self.metadata(jwksURI: peerBase + "/jwks"))
                // Another origin, inside allowed_networks (127.0.0.1/32): through the guard, and allowed.
                peer.set("/other/.well-known/oauth-authorization-server", json: Self.metadata(jwksURI: keysBase + "/jwks"))
                for (path, jti) in [("/same", "g-same"), ("/other", "g-other")] {
                    let app = try await resourceServer(metadataURL: peerBase + path + "/.well-known/oauth-authorization-server")
                    try await app.application.test(.router) { client in
                        let response = try await F.redeem(client, grant: try await grant(for: app, jti: jti))
                        #expect(response.status == .ok, "\(path): \(response.json)")
                    }
                }
                #expect(peer.fetchCount("/jwks") == 1)
                #expect(keys.fetchCount("/jwks") == 1)
            }
        }
    }

    /// A trusted subject-token issuer found through its discovery document takes the same path: its document's
    /// `jwks_uri` outside the allowed networks is not fetched when a client exchanges one of its ID tokens.
    @Test func aSubjectTokenIssuersLearnedJWKSURIIsGuardedToo() async throws {
        let (idp, inside) = (ClientMetadataDocumentServer(), ClientMetadataDocumentServer())
        inside.set("/jwks", json: TestClients.jwtClientJWKS)
        try await inside.run(host: "127.0.0.2") { insideBase in
            try await idp.run { idpBase in
                idp.set(
                    "/.well-known/openid-configuration",
                    json: #"{"issuer":"\#(F.externalIssuer)","jwks_uri":"\#(insideBase)/jwks"}"#
                )
                let loopback = try #require(IPNetwork("127.0.0.1/32"))
                let app = try await TestServer.build(now: clock.closure) { configuration in
                    configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [loopback])
                    configuration.clients = [Self.client(["client_credentials", GrantType.tokenExchange.rawValue])]
                    var issuer = TrustConfiguration.SubjectTokenIssuer(issuer: F.externalIssuer)
                    issuer.metadataURL = idpBase + "/.well-known/openid-configuration"
                    issuer.algorithms = [.es256]
                    configuration.chaining.subjectTokenIssuers = [issuer]
                }
                try await app.application.test(.router) { client in
                    let now = Double(Int(clock.now.timeIntervalSince1970))
                    let idToken = try await F.signed([
                        "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(app.engine.configuration.issuer),
                        "azp": .string("app"), "iat": .number(now), "exp": .number(now + 300), "scope": .string("read"),
                    ])
                    let response = try await F.exchange(client, subject: idToken, type: TokenTypeIdentifier.idToken, extra: [])
                    #expect(response.status == .badRequest, "\(response.json)")
                    #expect(response.error == "invalid_request")
                    #expect(response.description.contains("jwks_uri"), "\(response.description)")
                    #expect(inside.fetchCount("/jwks") == 0)
                }
            }
        }
    }

    /// A learned `jwks_uri` at another origin inside the allowed networks that redirects to an internal address:
    /// the redirect is not followed (the guard's rule; the peer client did not follow one either).
    @Test func aLearnedJWKSURIThatRedirectsInsideIsNotFollowed() async throws {
        let (peer, keys, inside) = (ClientMetadataDocumentServer(), ClientMetadataDocumentServer(), ClientMetadataDocumentServer())
        inside.set("/jwks", json: TestClients.jwtClientJWKS)
        try await inside.run(host: "127.0.0.2") { insideBase in
            try await keys.run { keysBase in
                try await peer.run { peerBase in
                    keys.set("/jwks", .init(status: .found, headers: [.location: insideBase + "/jwks"], body: ""))
                    peer.set("/.well-known/oauth-authorization-server", json: Self.metadata(jwksURI: keysBase + "/jwks"))
                    let app = try await resourceServer(metadataURL: peerBase + "/.well-known/oauth-authorization-server")
                    try await app.application.test(.router) { client in
                        let response = try await F.redeem(client, grant: try await grant(for: app, jti: "g-redirect"))
                        #expect(response.status == .badRequest, "\(response.json)")
                        #expect(response.error == "invalid_grant")
                        #expect(response.description.contains("redirect"), "\(response.description)")
                        #expect(keys.fetchCount("/jwks") == 1)
                        #expect(inside.fetchCount("/jwks") == 0)
                    }
                }
            }
        }
    }

    /// The home AS redeems a grant at the peer itself (identity chaining Appendix B.2) and posts its client
    /// credentials to the peer's metadata `token_endpoint`: never to an address outside the allowed networks.
    @Test(arguments: ["127.0.0.2", "::1"])
    func aTokenEndpointInThePeersMetadataIsNotPostedToOutsideTheAllowedNetworks(_ internalHost: String) async throws {
        let (peer, inside) = (ClientMetadataDocumentServer(), ClientMetadataDocumentServer())
        inside.set("/token", json: #"{"access_token":"stolen","token_type":"Bearer"}"#)
        try await inside.run(host: internalHost) { insideBase in
            try await peer.run { peerBase in
                peer.set("/.well-known/oauth-authorization-server", json: Self.metadata(tokenEndpoint: insideBase + "/token"))
                let loopback = try #require(IPNetwork("127.0.0.1/32"))
                let app = try await TestServer.build(now: clock.closure) { configuration in
                    configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [loopback])
                    configuration.clients = [Self.client(["client_credentials", GrantType.tokenExchange.rawValue])]
                    var target = TrustConfiguration.Peer(name: "p", issuer: Self.peerIssuer, audiences: [Self.peerIssuer])
                    target.metadataURL = peerBase + "/.well-known/oauth-authorization-server"
                    target.redeem = .init(clientID: "as-home", authentication: .clientSecretBasic(secret: "peer-secret"))
                    configuration.chaining.peers = [target]
                }
                try await app.application.test(.router) { client in
                    let subject = try await F.accessToken(client, scope: "read")
                    let response = try await F.exchange(
                        client,
                        subject: subject,
                        extra: [("audience", Self.peerIssuer), ("requested_token_type", TokenTypeIdentifier.accessToken)]
                    )
                    #expect(response.status == .serviceUnavailable, "\(response.json)")
                    #expect(response.error == "temporarily_unavailable")
                    #expect(response.description.contains("token_endpoint"), "\(response.description)")
                    #expect(response.json["access_token"] == nil)
                    #expect(inside.fetchCount("/token") == 0, "the AS posted its client credentials to \(internalHost)")
                }
            }
        }
    }
}
