import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Review round 12, K5 (RFC 9700 §4.11.2): a client anyone can create — one known by a Client ID Metadata Document
/// anyone can publish, or one that registered itself (`registration: open`, RFC 7591) — names its own redirect URI.
/// An error of the authorization endpoint for it, before the person has signed in and seen it on the consent page, is
/// therefore a page on this server that names the error, the client and the redirect host, with one link back carrying
/// the same error response — never a redirect by itself, which would make this server's `/authorize` a link that
/// bounces a browser to any host at once. An operator-registered client keeps its redirect (the operator vouched for
/// the URI), and so does every client's error after the consent page (a denial).
@Suite struct UntrustedRedirectTests {
    typealias Flow = AuthorizationCodeFlowTests
    static let phish = "https://login-tessera.phish.example/signin"
    let clock = TestClock()

    func withApp(
        documents base: String,
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let loopback = try #require(IPNetwork("127.0.0.1/32"))
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.clientMetadataDocumentsEnabled = true
            configuration.clientMetadata.allowHTTP = true
            configuration.clientMetadata.allowedScopes = ["read"]
            configuration.clientMetadata.allowedGrantTypes = [.authorizationCode]
            configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [loopback])
            configuration.registration.mode = .open
            configuration.registration.allowedScopes = ["read"]
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    /// The two clients anyone can create, both returning to the attacker's page: a metadata document and an open
    /// registration.
    static func selfMadeClients(
        _ client: any TestClientProtocol,
        documents: ClientMetadataDocumentServer,
        base: String
    ) async throws
        -> [String]
    {
        let document = """
            {"client_id":"\(base)/agent.json","client_name":"Tessera <Login>","redirect_uris":["\(phish)"],
             "grant_types":["authorization_code"],"token_endpoint_auth_method":"none","scope":"read"}
            """
        documents.set("/agent.json", json: document)
        let metadata: [String: Any] = ["client_name": "Tessera Login", "redirect_uris": [phish], "scope": "read"]
        let registered = try await ClientRegistrationTests.send(client, json: metadata)
        #expect(registered.status == .created, "\(registered.json)")
        return [base + "/agent.json", try #require(registered.json["client_id"] as? String)]
    }

    /// The "Return to" link of an error page, unescaped, and what it carries back.
    static func link(_ page: Flow.Page) throws -> (href: String, answer: [String: String]) {
        let start = try #require(page.body.range(of: "<a id=\"return\" href=\""))
        let href = String(page.body[start.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
        return (href, Flow.query(href))
    }

    /// Expects the page, not a redirect: the error, the client and the host named, the link carrying the error response.
    static func expectPage(_ page: Flow.Page, error: String, client: String, issuer: String) throws {
        #expect(page.status == .badRequest, "\(page.status) \(page.location ?? "")")
        #expect(page.location == nil, "no redirect to the client's own URI before the person saw the client")
        #expect(page.body.contains(error))
        #expect(page.body.contains(client), "the page names the client")
        #expect(page.body.contains("Return to login-tessera.phish.example"))
        let (href, answer) = try link(page)
        #expect(href.hasPrefix(phish + "?"))
        #expect(answer["error"] == error && answer["state"] == "st-123" && answer["iss"] == issuer, "\(answer)")
    }

    @Test func anErrorForAClientAnyoneCanCreateIsAPageWithALinkNeverARedirect() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            try await withApp(documents: base) { client, app in
                let issuer = app.engine.configuration.issuer
                for clientID in try await Self.selfMadeClients(client, documents: documents, base: base) {
                    // Nobody signed in; no PKCE.
                    let browser = Flow.Browser(client)
                    let noPKCE = try await browser.request(
                        "/authorize?"
                            + FormParameters([
                                ("response_type", "code"), ("client_id", clientID), ("redirect_uri", Self.phish), ("state", "st-123"),
                            ]).encoded
                    )
                    try Self.expectPage(noPKCE, error: "invalid_request", client: clientID, issuer: issuer)
                    let token = try await browser.request(
                        Flow.authorizeURI(client: clientID, redirect: Self.phish, scope: "read").replacingOccurrences(
                            of: "response_type=code",
                            with: "response_type=token"
                        )
                    )
                    try Self.expectPage(token, error: "unsupported_response_type", client: clientID, issuer: issuer)
                    // Signed in makes no difference before the consent page.
                    try await browser.signIn()
                    let scope = try await browser.request(Flow.authorizeURI(client: clientID, redirect: Self.phish, scope: "admin"))
                    try Self.expectPage(scope, error: "invalid_scope", client: clientID, issuer: issuer)
                }
                // The operator's client: its registered redirect URI is trusted, the error goes back at once.
                let trusted = try await Flow.Browser(client).request(
                    "/authorize?"
                        + FormParameters([("response_type", "code"), ("client_id", Flow.web), ("redirect_uri", Flow.callback)]).encoded
                )
                #expect(trusted.status == .found && trusted.location?.hasPrefix(Flow.callback + "?error=invalid_request") == true)
            }
        }
    }

    /// `prompt=none` (OpenID Connect Core §3.1.2.6) shows no page — but for a client anyone can create, `login_required`
    /// and `consent_required` would bounce the browser as any other error: the same page, with the link.
    @Test func promptNoneForAClientAnyoneCanCreateIsAPageToo() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            try await withApp(documents: base) { client, app in
                let issuer = app.engine.configuration.issuer
                for clientID in try await Self.selfMadeClients(client, documents: documents, base: base) {
                    let browser = Flow.Browser(client)
                    let silent = Flow.authorizeURI(client: clientID, redirect: Self.phish, scope: "read", extra: [("prompt", "none")])
                    let held = try await browser.request(silent)
                    let path = try #require(held.location)
                    #expect(held.status == .seeOther && path.hasPrefix("/authorize/"))
                    try Self.expectPage(try await browser.request(path), error: "login_required", client: clientID, issuer: issuer)
                    try await browser.signIn()
                    let again = try #require(try await browser.request(silent).location)
                    try Self.expectPage(try await browser.request(again), error: "consent_required", client: clientID, issuer: issuer)
                }
                // The operator's client still gets its answer at once.
                let browser = Flow.Browser(client)
                let held = try await browser.request(Flow.authorizeURI(scope: "read", extra: [("prompt", "none")]))
                let answer = try await browser.request(try #require(held.location))
                let location = try #require(answer.location)
                #expect(answer.status == .seeOther && Flow.query(location)["error"] == "login_required")
            }
        }
    }

    /// After the person saw the client and its redirect host on the consent page, a denial goes back at once.
    @Test func aDenialOnTheConsentPageIsRedirectedForEveryClient() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            try await withApp(documents: base) { client, _ in
                for clientID in try await Self.selfMadeClients(client, documents: documents, base: base) {
                    let browser = Flow.Browser(client)
                    try await browser.signIn()
                    let back = try await Flow.approve(
                        browser,
                        Flow.authorizeURI(client: clientID, redirect: Self.phish, scope: "read"),
                        decision: "deny"
                    )
                    #expect(back.hasPrefix(Self.phish + "?") && Flow.query(back)["error"] == "access_denied", "\(back)")
                }
            }
        }
    }
}
