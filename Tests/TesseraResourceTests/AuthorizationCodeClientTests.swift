import AsyncHTTPClient
import Foundation
import HTTPMessageSignatures
import Hummingbird
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The client SDK runs the authorization code flow against a real Tessera on loopback: the
/// ``AuthorizationCodeFlow`` request goes through sign-in and consent (a cookie-keeping browser that
/// follows nothing by itself), the callback passes the SDK's `state` and `iss` checks, and
/// ``OAuthClient`` redeems the code with PKCE and a DPoP key, so the tokens are bound to it.
@Suite struct AuthorizationCodeClientTests {
    static let redirectURI = "https://app.example/cb"

    /// A minimal browser: one cookie, no redirects followed.
    final class Browser: @unchecked Sendable {
        let transport: AsyncHTTPClientTransport
        var cookie: String?
        init(_ transport: AsyncHTTPClientTransport) { self.transport = transport }

        func go(_ url: String, form: [(String, String)]? = nil) async throws -> TesseraHTTPResponse {
            var headers: [HTTPSignatureField] = []
            if let cookie { headers.append(HTTPSignatureField(name: "Cookie", value: cookie)) }
            var body: [UInt8]?
            if let form {
                headers.append(HTTPSignatureField(name: "Content-Type", value: "application/x-www-form-urlencoded"))
                body = Array(FormParameters(form).encoded.utf8)
            }
            let response = try await transport.send(
                try HTTPSignatureRequest(method: form == nil ? "GET" : "POST", targetURI: url, headerFields: headers, body: body)
            )
            if let set = response.headerValue("set-cookie"), let pair = set.split(separator: ";").first { cookie = String(pair) }
            return response
        }

        static func csrf(_ response: TesseraHTTPResponse) -> String {
            let page = String(decoding: response.body, as: UTF8.self)
            guard let range = page.range(of: "name=\"csrf\" value=\"") else { return "" }
            return String(page[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test func theSDKRunsTheFlowAndBindsTheTokensToItsDPoPKey() async throws {
        let app = try await TestServer.build(configure: { configuration in
            var web = ClientDefinition(
                id: "sdk-web",
                auth: "none",
                grantTypes: ["authorization_code", "refresh_token"],
                scopes: "openid read"
            )
            web.redirectURIs = [Self.redirectURI]
            configuration.clients.append(web)
            configuration.users = [UserDefinition(username: "erin", password: "erin-password")]
        })
        let issuer = app.engine.configuration.issuer
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await Self.run(app: app, issuer: issuer, http: http)
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    static func run(app: TesseraApplication, issuer: String, http: HTTPClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.application.runService() }
            defer { group.cancelAll() }
            try await OAuthResourceServerTests.waitUntilServing(issuer + "/.well-known/openid-configuration", AsyncHTTPClientTransport())

            let flow = AuthorizationCodeFlow(
                issuer: issuer,
                authorizationEndpoint: issuer + "/authorize",
                clientID: "sdk-web",
                redirectURI: Self.redirectURI
            )
            let request = flow.start(scope: "openid read")
            let browser = Browser(AsyncHTTPClientTransport(client: http))
            let held = try await browser.go(request.url)
            #expect(held.status == 303)
            let consentURL = issuer + (held.headerValue("location") ?? "")
            let signIn = try await browser.go(consentURL)
            #expect(signIn.status == 303)
            let form = try await browser.go(issuer + "/signin")
            let signedIn = try await browser.go(
                issuer + "/signin",
                form: [("csrf", Browser.csrf(form)), ("username", "erin"), ("password", "erin-password"), ("next", "/device")]
            )
            #expect(signedIn.status == 303)
            let consent = try await browser.go(consentURL)
            #expect(consent.status == 200)
            let decided = try await browser.go(consentURL, form: [("csrf", Browser.csrf(consent)), ("decision", "approve_all")])
            let callback = try #require(decided.headerValue("location"))

            // A tampered state and a mix-up are refused by the SDK before any code is used.
            let forged = callback.replacingOccurrences(of: "state=", with: "state=x")
            #expect(throws: AuthorizationCodeFlow.ResponseError.stateMismatch) { try flow.code(fromCallback: forged, for: request) }
            let otherAS = AuthorizationCodeFlow(
                issuer: "https://other.example",
                authorizationEndpoint: "https://other.example/authorize",
                clientID: "sdk-web",
                redirectURI: Self.redirectURI
            )
            #expect(throws: AuthorizationCodeFlow.ResponseError.issuerMismatch(received: issuer)) {
                try otherAS.code(fromCallback: callback, for: request)
            }

            let code = try flow.code(fromCallback: callback, for: request)
            let client = OAuthClient(tokenEndpoint: issuer + "/token", clientID: "sdk-web")
            let tokens = try await client.authorizationCode(code, request: request, redirectURI: Self.redirectURI)
            #expect(tokens.tokenType == "DPoP")
            #expect(tokens.idToken != nil)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: tokens.accessToken).payload)
            #expect(claims.cnf?.jkt == client.dpop?.thumbprint)
            #expect(claims.sub == "erin")
            // The public client's refresh token is bound to the same key (RFC 9449 §5).
            let refreshed = try await client.refresh(try #require(tokens.refreshToken))
            #expect(refreshed.tokenType == "DPoP")
        }
    }
}
