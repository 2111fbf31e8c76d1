// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// RFC 8252 §7.3 ("The authorization server MUST allow any port to be specified at the time of the
/// request for loopback IP redirect URIs") within RFC 9700 §4.1.3's exact matching, for every
/// public client: operator-registered (`auth: none`), metadata-document and self-registered native
/// clients share one rule (`RedirectURIMatch`). Only the port is free, only on `http` to a loopback
/// IP literal; a confidential client stays exact; the code is redeemed with the port it was issued for.
@Suite struct LoopbackRedirectPortTests {
    typealias Flow = AuthorizationCodeFlowTests
    static let native = "native-app"
    static let desk = "desk"
    let clock = TestClock()

    func withApp(
        documents base: String? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            var native = ClientDefinition(id: Self.native, auth: "none", grantTypes: ["authorization_code"], scopes: "read")
            native.redirectURIs = ["http://[::1]:8000/cb", "https://native.example/cb", "http://localhost:8080/cb"]
            var desk = ClientDefinition(
                id: Self.desk,
                auth: "client_secret_basic",
                secret: Flow.webSecret,
                grantTypes: ["authorization_code"],
                scopes: "read"
            )
            desk.redirectURIs = ["http://127.0.0.1:7000/cb"]
            configuration.clients += [native, desk]
            if base != nil {
                configuration.clientMetadataDocumentsEnabled = true
                configuration.clientMetadata.allowHTTP = true
                configuration.clientMetadata.allowedGrantTypes = [.authorizationCode, .refreshToken]
                configuration.clientMetadata.allowedScopes = ["read"]
                configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")!])
            }
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    static func push(
        _ client: any TestClientProtocol,
        clientID: String,
        redirect: String,
        auth: String? = nil
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        let form = [
            ("client_id", clientID), ("response_type", "code"), ("redirect_uri", redirect), ("scope", "read"),
            ("code_challenge", Flow.challenge), ("code_challenge_method", "S256"),
        ]
        var headers = HTTPHelpers.form
        if let auth { headers[.authorization] = auth }
        return try await client.execute(
            uri: "/par",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) {
            ($0.status, try HTTPHelpers.json($0.body))
        }
    }

    /// The operator's public client registered `http://127.0.0.1:9000/cb`; the app listens on the port
    /// the system gave it, signs the person in, is sent back to that port, and redeems the code
    /// there. The consent page names the loopback host the person will be sent to.
    @Test func anOperatorsPublicClientComesBackToAnyLoopbackPort() async throws {
        try await withApp { client, app in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let redirect = "http://127.0.0.1:49152/cb"
            let start = try await browser.request(Flow.authorizeURI(client: Flow.spa, redirect: redirect, scope: "read"))
            #expect(start.status == .seeOther, "\(start.body)")
            let consentPath = try #require(start.location)
            let consent = try await browser.request(consentPath)
            // The consent page names where the person will be sent (digest F.2).
            #expect(consent.body.contains("sent back to <strong>127.0.0.1</strong>"))
            let decided = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", consent.csrf ?? ""), ("decision", "approve_all")]
            )
            let back = try #require(decided.location)
            #expect(back.hasPrefix(redirect + "?"))
            #expect(Flow.query(back)["iss"] == app.engine.configuration.issuer)
            let code = try #require(Flow.query(back)["code"])
            let (status, token) = try await Flow.redeem(client, code: code, redirect: redirect, auth: nil, clientID: Flow.spa)
            #expect(status == .ok, "\(token)")

            // IPv6 loopback literal, same rule.
            let six = try await browser.request(Flow.authorizeURI(client: Self.native, redirect: "http://[::1]:49153/cb", scope: "read"))
            #expect(six.status == .seeOther && six.location?.hasPrefix("/authorize/") == true, "\(six.body)")
        }
    }

    /// An operator's public client whose redirect URIs are all on loopback has no secret that tells
    /// it from any other local program using its `client_id` (RFC 8252 §8.6, MCP "localhost
    /// impersonation"): its consent page warns, as for metadata-document and self-registered clients.
    /// A public client that may also return elsewhere, and a confidential one, do not.
    @Test func anOperatorsLoopbackPublicClientIsShownTheLocalWarning() async throws {
        try await withApp { client, _ in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            func consent(_ clientID: String, _ redirect: String) async throws -> String {
                let start = try await browser.request(Flow.authorizeURI(client: clientID, redirect: redirect, scope: "read"))
                #expect(start.status == .seeOther, "\(start.body)")
                return try await browser.request(try #require(start.location)).body
            }
            let local = try await consent(Flow.spa, "http://127.0.0.1:49152/cb")
            #expect(local.contains("runs on your own computer"))
            #expect(local.contains("note warning"))
            // The same page in German (Accept-Language, RFC 9110 §12.5.4).
            let start = try await browser.request(Flow.authorizeURI(client: Flow.spa, redirect: "http://127.0.0.1:49153/cb", scope: "read"))
            var headers: HTTPFields = [.acceptLanguage: "de"]
            headers[.cookie] = browser.cookie
            let german = try await client.execute(uri: try #require(start.location), method: .get, headers: headers) {
                String(buffer: $0.body)
            }
            #expect(german.contains("läuft auf Ihrem eigenen Computer"), "\(german)")
            let mixed = try await consent(Self.native, "http://[::1]:8000/cb")
            #expect(!mixed.contains("runs on your own computer"))
            let confidential = try await consent(Self.desk, "http://127.0.0.1:7000/cb")
            #expect(!confidential.contains("runs on your own computer"))
        }
    }

    /// The port is free at `/authorize`, then fixed for that code (RFC 6749 §4.1.3: the redemption's
    /// `redirect_uri` is identical to the authorization request's): neither the registered port nor
    /// another free one redeems it.
    @Test func theCodeIsRedeemedOnlyWithThePortItWasIssuedFor() async throws {
        try await withApp { client, _ in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            for other in [Flow.spaCallback, "http://127.0.0.1:49153/cb"] {
                let back = try await Flow.approve(
                    browser,
                    Flow.authorizeURI(client: Flow.spa, redirect: "http://127.0.0.1:49152/cb", scope: "read")
                )
                let code = try #require(Flow.query(back)["code"])
                let (status, body) = try await Flow.redeem(client, code: code, redirect: other, auth: nil, clientID: Flow.spa)
                #expect(status == .badRequest && body["error"] as? String == "invalid_grant", "\(other): \(body)")
            }
        }
    }

    /// Everything but the port stays exact: host (another loopback address, `localhost` for
    /// 127.0.0.1, a look-alike name), path, query, fragment, scheme and userinfo; a port on a
    /// non-loopback host; a `localhost` URI (RFC 8252 §8.3: not a loopback IP literal, matched
    /// exactly); and a confidential client's loopback URI. Each is an error page, never a redirect.
    @Test(arguments: [
        (Flow.spa, "http://127.0.0.2:49152/cb"),
        (Flow.spa, "http://localhost:49152/cb"),
        (Flow.spa, "http://localhost:9000/cb"),
        (Flow.spa, "http://127.0.0.1.evil.example:49152/cb"),
        (Flow.spa, "http://[::1]:9000/cb"),
        (Flow.spa, "http://127.0.0.1:49152/cb/"),
        (Flow.spa, "http://127.0.0.1:49152/other"),
        (Flow.spa, "http://127.0.0.1:49152/CB"),
        (Flow.spa, "http://127.0.0.1:49152/cb?x=1"),
        (Flow.spa, "http://127.0.0.1:49152/cb#frag"),
        (Flow.spa, "https://127.0.0.1:49152/cb"),
        (Flow.spa, "http://user@127.0.0.1:49152/cb"),
        (Flow.spa, "http://user:pass@127.0.0.1:49152/cb"),
        (Flow.spa, "http://127.0.0.1:49152@evil.example/cb"),
        (Flow.spa, "//127.0.0.1:49152/cb"),
        (native, "https://native.example:8443/cb"),
        (native, "http://native.example/cb"),
        (native, "http://localhost:9090/cb"),
        (native, "http://127.0.0.1:8000/cb"),
        (desk, "http://127.0.0.1:7001/cb"),
    ])
    func everythingButTheLoopbackPortOfAPublicClientIsExact(_ clientID: String, _ redirect: String) async throws {
        try await withApp { client, _ in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let page = try await browser.request(Flow.authorizeURI(client: clientID, redirect: redirect, scope: "read"))
            #expect(page.status == .badRequest && page.location == nil, "\(clientID) \(redirect)")
        }
    }

    /// RFC 9126 §2.1: a pushed request is checked with the same rule.
    @Test func aPushedRequestUsesTheSameRule() async throws {
        try await withApp { client, _ in
            let (status, pushed) = try await Self.push(client, clientID: Flow.spa, redirect: "http://127.0.0.1:49152/cb")
            #expect(status == .created, "\(pushed)")
            let deskBasic = TestClients.basicAuthorization(id: Self.desk, secret: Flow.webSecret)
            let (exact, _) = try await Self.push(client, clientID: Self.desk, redirect: "http://127.0.0.1:7000/cb", auth: deskBasic)
            #expect(exact == .created)
            for (id, redirect, auth) in [
                (Flow.spa, "http://localhost:49152/cb", nil), (Flow.spa, "http://127.0.0.1:49152/other", nil),
                (Self.desk, "http://127.0.0.1:7001/cb", deskBasic),
            ] as [(String, String, String?)] {
                let (refused, body) = try await Self.push(client, clientID: id, redirect: redirect, auth: auth)
                #expect(refused == .badRequest && body["error"] as? String == "invalid_request", "\(redirect): \(body)")
            }
        }
    }

    /// A Client ID Metadata Document client (public, loopback `redirect_uris`) gets the same port
    /// freedom at `/authorize` and PAR, keeps the loopback warning, and redeems with the port it used.
    @Test func aMetadataDocumentClientComesBackToAnyLoopbackPort() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            documents.set("/agent.json", json: MCPClientRequirementsTests.document(base, path: "/agent.json"))
            let clientID = base + "/agent.json"
            try await withApp(documents: base) { client, _ in
                let browser = Flow.Browser(client)
                try await browser.signIn()
                let redirect = "http://127.0.0.1:49152/cb"
                for wrong in ["http://localhost:49152/cb", "http://127.0.0.1:49152/cb/", "http://127.0.0.2:9000/cb"] {
                    let page = try await browser.request(Flow.authorizeURI(client: clientID, redirect: wrong, scope: "read"))
                    #expect(page.status == .badRequest && page.location == nil, "\(wrong)")
                }
                let start = try await browser.request(Flow.authorizeURI(client: clientID, redirect: redirect, scope: "read"))
                let consentPath = try #require(start.location)
                let consent = try await browser.request(consentPath)
                #expect(consent.body.contains("runs on your own computer"))
                let decided = try await browser.request(
                    consentPath,
                    method: .post,
                    form: [("csrf", consent.csrf ?? ""), ("decision", "approve_all")]
                )
                let back = try #require(decided.location)
                #expect(back.hasPrefix(redirect + "?"))
                let code = try #require(Flow.query(back)["code"])
                let (wrongPort, refused) = try await Flow.redeem(
                    client,
                    code: code,
                    redirect: Flow.spaCallback,
                    auth: nil,
                    clientID: clientID
                )
                #expect(wrongPort == .badRequest && refused["error"] as? String == "invalid_grant", "\(refused)")

                let (pushed, body) = try await Self.push(client, clientID: clientID, redirect: "http://127.0.0.1:50000/cb")
                #expect(pushed == .created, "\(body)")
            }
        }
    }
}
