import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The authorization code flow over the real routes (RFC 6749 §4.1, RFC 7636, RFC 9126, RFC 9207,
/// OpenID Connect Core): the whole flow through sign-in and consent, and every attack the issue
/// names refused.
@Suite struct AuthorizationCodeFlowTests {
    static let webSecret = "web-app-secret-web-app-secret-0123456789"
    static let web = "web-app"
    static let spa = "spa"
    static let callback = "https://app.example/cb"
    static let spaCallback = "http://127.0.0.1:9000/cb"
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    let clock = TestClock()
    var webBasic: String { TestClients.basicAuthorization(id: Self.web, secret: Self.webSecret) }

    static func configure(_ configuration: inout ServerConfiguration) {
        var web = ClientDefinition(
            id: web,
            auth: "client_secret_basic",
            secret: webSecret,
            grantTypes: ["authorization_code", "refresh_token"],
            scopes: "openid profile read"
        )
        web.redirectURIs = [callback, "https://app.example/other?tenant=1"]
        var spa = ClientDefinition(id: spa, auth: "none", grantTypes: ["authorization_code", "refresh_token"], scopes: "openid read")
        spa.redirectURIs = [spaCallback]
        var pushOnly = ClientDefinition(
            id: "push-only",
            auth: "client_secret_basic",
            secret: webSecret,
            grantTypes: ["authorization_code"],
            scopes: "read"
        )
        pushOnly.redirectURIs = [callback]
        pushOnly.requirePushedAuthorizationRequests = true
        configuration.clients += [web, spa, pushOnly]
        configuration.users = [UserDefinition(username: "alice", password: "alice-password", displayName: "Alice Liddell")]
        configuration.authorizationDetailsTypes = [
            AuthorizationDetailsTypeDefinition(type: "photo-api", requiredMembers: ["actions"]),
            AuthorizationDetailsTypeDefinition(type: "billing"),
        ]
    }

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void) async throws {
        let app = try await TestServer.build(now: clock.closure, configure: Self.configure)
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    struct Page {
        var status: HTTPResponse.Status
        var location: String?
        var setCookie: String?
        var body: String
        var csrf: String? {
            guard let range = body.range(of: "name=\"csrf\" value=\"") else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    /// A browser: one cookie, no JavaScript, follows nothing by itself.
    final class Browser: @unchecked Sendable {
        let client: any TestClientProtocol
        var cookie: String?
        init(_ client: any TestClientProtocol) { self.client = client }

        func request(_ uri: String, method: HTTPRequest.Method = .get, form: [(String, String)]? = nil) async throws -> Page {
            var headers: HTTPFields = [:]
            if let cookie { headers[.cookie] = cookie }
            var body: ByteBuffer?
            if let form {
                headers[.contentType] = "application/x-www-form-urlencoded"
                body = ByteBuffer(string: FormParameters(form).encoded)
            }
            let page = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                Page(
                    status: response.status,
                    location: response.headers[.location],
                    setCookie: response.headers[.setCookie],
                    body: String(buffer: response.body)
                )
            }
            if let set = page.setCookie, let pair = set.split(separator: ";").first { cookie = String(pair) }
            return page
        }

        func signIn(username: String = "alice", password: String = "alice-password", at path: String = "/signin") async throws {
            let form = try await request(path)
            let done = try await request(
                "/signin",
                method: .post,
                form: [("csrf", form.csrf ?? ""), ("username", username), ("password", password), ("next", "/device")]
            )
            #expect(done.status == .seeOther)
        }
    }

    static func authorizeURI(
        client: String = web,
        redirect: String = callback,
        scope: String = "openid profile read",
        extra: [(String, String)] = []
    )
        -> String
    {
        var parameters = [
            ("response_type", "code"), ("client_id", client), ("redirect_uri", redirect), ("scope", scope), ("state", "st-123"),
            ("nonce", "n-456"), ("code_challenge", challenge), ("code_challenge_method", "S256"),
        ]
        parameters += extra
        return "/authorize?" + FormParameters(parameters).encoded
    }

    static func query(_ location: String) -> [String: String] {
        var values: [String: String] = [:]
        for item in URLComponents(string: location)?.queryItems ?? [] { values[item.name] = item.value }
        return values
    }

    /// Runs authorize → consent → approve and returns the redirect back to the client (for "approve_all",
    /// a consent remembered from an earlier approval may skip the page).
    static func approve(_ browser: Browser, _ uri: String, decision: String = "approve_all", scopes: [String] = []) async throws -> String {
        let start = try await browser.request(uri)
        #expect(start.status == .seeOther)
        let consentPath = try #require(start.location)
        #expect(consentPath.hasPrefix("/authorize/"))
        let consent = try await browser.request(consentPath)
        // A remembered consent (an earlier "Approve all" of the same request) answers without a page.
        if decision == "approve_all", consent.status == .seeOther, let location = consent.location, !location.hasPrefix("/") {
            return location
        }
        #expect(consent.status == .ok)
        var form = [("csrf", consent.csrf ?? ""), ("decision", decision)]
        form += scopes.map { ("scope", $0) }
        let decided = try await browser.request(consentPath, method: .post, form: form)
        #expect(decided.status == .seeOther)
        return try #require(decided.location)
    }

    static func token(
        _ client: any TestClientProtocol,
        _ form: [(String, String)],
        auth: String?
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers = HTTPHelpers.form
        if let auth { headers[.authorization] = auth }
        return try await client.execute(
            uri: "/token",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) {
            ($0.status, try HTTPHelpers.json($0.body))
        }
    }

    static func redeem(
        _ client: any TestClientProtocol,
        code: String,
        verifier: String? = verifier,
        redirect: String = callback,
        auth: String?,
        clientID: String? = nil
    )
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)]
        if let verifier { form.append(("code_verifier", verifier)) }
        if let clientID { form.append(("client_id", clientID)) }
        return try await token(client, form, auth: auth)
    }

    // MARK: - The flow

    @Test func theWholeFlowIssuesTokensAndAnIDToken() async throws {
        let (basic, clock) = (webBasic, clock)
        try await withApp { client, app in
            let browser = Browser(client)
            // Not signed in: the held request leads to the shared sign-in page and back.
            let start = try await browser.request(Self.authorizeURI())
            let consentPath = try #require(start.location)
            let unsigned = try await browser.request(consentPath)
            #expect(unsigned.status == .seeOther)
            #expect(unsigned.location == "/signin?next=" + FormParameters.encode(consentPath))
            try await browser.signIn()
            let consent = try await browser.request(consentPath)
            #expect(consent.body.contains("Allow access?"))
            #expect(consent.body.contains("value=\"openid\""))
            let decided = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", consent.csrf ?? ""), ("decision", "approve_all")]
            )
            let location = try #require(decided.location)
            #expect(location.hasPrefix(Self.callback + "?"))
            let answer = Self.query(location)
            #expect(answer["state"] == "st-123")
            #expect(answer["iss"] == app.engine.configuration.issuer)
            let code = try #require(answer["code"])

            let (status, body) = try await Self.redeem(client, code: code, auth: basic)
            #expect(status == .ok, "\(body)")
            let access = try #require(body["access_token"] as? String)
            #expect(body["refresh_token"] is String)
            #expect(body["scope"] as? String == "openid profile read")
            let accessClaims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: access).payload)
            #expect(accessClaims.sub == "alice")

            // The ID token: signed by the server key, with the OpenID Connect claims.
            let idToken = try CompactJWS(parsing: try #require(body["id_token"] as? String))
            _ = try await app.engine.keyRing.tokenVerifier().verify(idToken, expectedType: "JWT")
            let claims = try JSONDecoder().decode(IDTokenClaims.self, from: idToken.payload)
            #expect(claims.iss == app.engine.configuration.issuer)
            #expect(claims.sub == "alice")
            #expect(claims.aud == Self.web)
            #expect(claims.azp == Self.web)
            #expect(claims.nonce == "n-456")
            #expect(claims.exp > claims.iat)
            #expect(try #require(claims.authTime) <= Int(clock.now.timeIntervalSince1970))

            // UserInfo with the access token (OpenID Connect Core §5.3).
            let info = try await client.execute(uri: "/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"]) {
                ($0.status, try HTTPHelpers.json($0.body))
            }
            #expect(info.0 == .ok)
            #expect(info.1["sub"] as? String == "alice")
            #expect(info.1["name"] as? String == "Alice Liddell")
            let noToken = try await client.execute(uri: "/userinfo", method: .get) { $0 }
            #expect(noToken.status == .unauthorized)
            #expect(noToken.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)

            // Refresh with rotation.
            let refresh = try #require(body["refresh_token"] as? String)
            let (refreshed, rotated) = try await Self.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                auth: basic
            )
            #expect(refreshed == .ok)
            #expect(rotated["refresh_token"] as? String != refresh)
            let (reused, _) = try await Self.token(client, [("grant_type", "refresh_token"), ("refresh_token", refresh)], auth: basic)
            #expect(reused == .badRequest)
        }
    }

    @Test func partialApprovalNarrowsTheScopeAndDenyReturnsAccessDenied() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let location = try await Self.approve(browser, Self.authorizeURI(), decision: "approve", scopes: ["read"])
            let (status, body) = try await Self.redeem(client, code: try #require(Self.query(location)["code"]), auth: basic)
            #expect(status == .ok)
            #expect(body["scope"] as? String == "read")
            #expect(body["id_token"] == nil)

            let denied = Self.query(try await Self.approve(browser, Self.authorizeURI(), decision: "deny"))
            #expect(denied["error"] == "access_denied")
            #expect(denied["state"] == "st-123")
            #expect(denied["code"] == nil)
        }
    }

    @Test func aPublicClientRedeemsWithPKCEAlone() async throws {
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let location = try await Self.approve(
                browser,
                Self.authorizeURI(client: Self.spa, redirect: Self.spaCallback, scope: "openid read")
            )
            let code = try #require(Self.query(location)["code"])
            let (status, body) = try await Self.redeem(client, code: code, redirect: Self.spaCallback, auth: nil, clientID: Self.spa)
            #expect(status == .ok)
            #expect(body["id_token"] is String)
        }
    }

    @Test func authorizationDetailsAreShownAndNarrowedByPartialApproval() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let details =
                #"[{"type":"photo-api","actions":["read","write"],"locations":["https://photos.example/"]},{"type":"billing","policy":{"max":5}}]"#
            let start = try await browser.request(Self.authorizeURI(scope: "read", extra: [("authorization_details", details)]))
            let consentPath = try #require(start.location)
            let consent = try await browser.request(consentPath)
            #expect(consent.body.contains("photo-api"))
            #expect(consent.body.contains("read, write"))
            #expect(consent.body.contains("https://photos.example/"))
            #expect(consent.body.contains("billing"))
            #expect(consent.body.contains("&quot;max&quot; : 5"))
            let decided = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", consent.csrf ?? ""), ("decision", "approve"), ("scope", "read"), ("detail", "0")]
            )
            let location = try #require(decided.location)
            let code = try #require(Self.query(location)["code"])
            let (status, body) = try await Self.redeem(client, code: code, auth: basic)
            #expect(status == .ok)
            let granted = try #require(body["authorization_details"] as? [[String: Any]])
            #expect(granted.count == 1)
            #expect(granted.first?["type"] as? String == "photo-api")
            let access = try #require(body["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: access).payload)
            #expect(claims.authorizationDetails?.count == 1)

            // An unknown type or a missing required member goes back to the client.
            let unknown = try await browser.request(
                Self.authorizeURI(scope: "read", extra: [("authorization_details", #"[{"type":"nope"}]"#)])
            )
            let unknownLocation = try #require(unknown.location)
            #expect(Self.query(unknownLocation)["error"] == "invalid_authorization_details")
            let missing = try await browser.request(
                Self.authorizeURI(scope: "read", extra: [("authorization_details", #"[{"type":"photo-api"}]"#)])
            )
            let missingLocation = try #require(missing.location)
            #expect(Self.query(missingLocation)["error"] == "invalid_authorization_details")

            // Unticking everything is a denial.
            let again = try await browser.request(Self.authorizeURI(scope: "read", extra: [("authorization_details", details)]))
            let path = try #require(again.location)
            let page = try await browser.request(path)
            let none = try await browser.request(path, method: .post, form: [("csrf", page.csrf ?? ""), ("decision", "approve")])
            let noneLocation = try #require(none.location)
            #expect(Self.query(noneLocation)["error"] == "access_denied")
        }
    }

    // MARK: - Attacks at the authorization endpoint

    @Test(arguments: [
        "https://evil.example/cb",  // not registered
        "https://app.example/cb/",  // trailing slash
        "https://app.example/cb2",  // path differs
        "https://app.example/cb?x=1",  // query added
        "https://app.example/other",  // registered one has a query
        "https://APP.example/cb",  // case differs
    ])
    func aRedirectURIThatIsNotExactlyRegisteredIsAPageNeverARedirect(uri: String) async throws {
        try await withApp { client, _ in
            let page = try await Browser(client).request(Self.authorizeURI(redirect: uri))
            #expect(page.status == .badRequest)
            #expect(page.location == nil)
            #expect(page.body.contains("not registered"))
        }
    }

    @Test func errorsBeforeTheClientIsKnownAreNeverRedirected() async throws {
        try await withApp { client, _ in
            let browser = Browser(client)
            // Unknown client with an attacker's redirect URI: no open redirector.
            let unknown = try await browser.request(Self.authorizeURI(client: "nobody", redirect: "https://evil.example/"))
            #expect(unknown.status == .badRequest)
            #expect(unknown.location == nil)
            let missing = try await browser.request("/authorize?response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2F")
            #expect(missing.status == .badRequest)
            #expect(missing.location == nil)
            // A malformed query (a parameter twice) is a page too.
            let twice = try await browser.request(Self.authorizeURI(extra: [("redirect_uri", "https://evil.example/")]))
            #expect(twice.status == .badRequest)
            #expect(twice.location == nil)
        }
    }

    @Test func pkceIsRequiredAndPlainIsRefusedOnTheVerifiedRedirect() async throws {
        try await withApp { client, app in
            let browser = Browser(client)
            let issuer = app.engine.configuration.issuer
            let plain = try await browser.request(
                "/authorize?"
                    + FormParameters([
                        ("response_type", "code"), ("client_id", Self.web), ("redirect_uri", Self.callback), ("state", "s"),
                        ("code_challenge", Self.verifier), ("code_challenge_method", "plain"),
                    ]).encoded
            )
            #expect(plain.status == .found)
            let answer = Self.query(try #require(plain.location))
            #expect(answer["error"] == "invalid_request")
            #expect(answer["state"] == "s")
            #expect(answer["iss"] == issuer)
            let none = try await browser.request(
                "/authorize?"
                    + FormParameters([("response_type", "code"), ("client_id", Self.web), ("redirect_uri", Self.callback)]).encoded
            )
            let noneLocation = try #require(none.location)
            #expect(Self.query(noneLocation)["error"] == "invalid_request")
            let token = try await browser.request(
                Self.authorizeURI(extra: []).replacingOccurrences(of: "response_type=code", with: "response_type=token")
            )
            #expect(Self.query(try #require(token.location))["error"] == "unsupported_response_type")
            let scope = try await browser.request(Self.authorizeURI(scope: "admin"))
            #expect(Self.query(try #require(scope.location))["error"] == "invalid_scope")
        }
    }

    @Test func theConsentFormRefusesAMissingOrWrongCSRFToken() async throws {
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let consentPath = try #require(try await browser.request(Self.authorizeURI()).location)
            let missing = try await browser.request(consentPath, method: .post, form: [("decision", "approve_all")])
            #expect(missing.status == .forbidden)
            let wrong = try await browser.request(consentPath, method: .post, form: [("csrf", "forged"), ("decision", "approve_all")])
            #expect(wrong.status == .forbidden)
            #expect(wrong.location == nil)
            // Still waiting: the real form works once, then the request is used up.
            let consent = try await browser.request(consentPath)
            let decided = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", consent.csrf ?? ""), ("decision", "approve_all")]
            )
            #expect(decided.status == .seeOther)
            let again = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", consent.csrf ?? ""), ("decision", "approve_all")]
            )
            #expect(again.status == .gone)
        }
    }

    // MARK: - Attacks at the token endpoint

    @Test func aMissingOrWrongVerifierIsRefusedAndBurnsTheCode() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let first = try #require(Self.query(try await Self.approve(browser, Self.authorizeURI()))["code"])
            let (missing, missingBody) = try await Self.redeem(client, code: first, verifier: nil, auth: basic)
            #expect(missing == .badRequest)
            #expect(missingBody["error"] as? String == "invalid_request")
            let second = try #require(Self.query(try await Self.approve(browser, Self.authorizeURI()))["code"])
            let (wrong, wrongBody) = try await Self.redeem(client, code: second, verifier: String(repeating: "a", count: 43), auth: basic)
            #expect(wrong == .badRequest)
            #expect(wrongBody["error"] as? String == "invalid_grant")
            let (retry, _) = try await Self.redeem(client, code: second, auth: basic)
            #expect(retry == .badRequest)
        }
    }

    @Test func aReplayedCodeRevokesTheTokensIssuedFromIt() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let code = try #require(Self.query(try await Self.approve(browser, Self.authorizeURI()))["code"])
            let (status, body) = try await Self.redeem(client, code: code, auth: basic)
            #expect(status == .ok)
            let access = try #require(body["access_token"] as? String)
            let refresh = try #require(body["refresh_token"] as? String)
            let (replayed, replayBody) = try await Self.redeem(client, code: code, auth: basic)
            #expect(replayed == .badRequest)
            #expect(replayBody["error"] as? String == "invalid_grant")
            for token in [access, refresh] {
                let introspected = try await client.execute(
                    uri: "/introspect",
                    method: .post,
                    headers: HTTPHelpers.form(authorization: basic),
                    body: ByteBuffer(string: "token=\(token)")
                ) { try HTTPHelpers.json($0.body) }
                #expect(introspected["active"] as? Bool == false)
            }
        }
    }

    @Test func concurrentRedemptionsOfOneCodeSucceedOnce() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let code = try #require(Self.query(try await Self.approve(browser, Self.authorizeURI()))["code"])
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 { group.addTask { try await Self.redeem(client, code: code, auth: basic).0 } }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == .ok }.count <= 1)
            #expect(statuses.filter { $0 == .badRequest }.count >= 5)
        }
    }

    @Test func aCodeIsOnlyForItsClientAndItsRedirectURI() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let stolen = try #require(Self.query(try await Self.approve(browser, Self.authorizeURI()))["code"])
            let (other, otherBody) = try await Self.redeem(client, code: stolen, auth: nil, clientID: Self.spa)
            #expect(other == .badRequest)
            #expect(otherBody["error"] as? String == "invalid_grant")
            let code = try #require(Self.query(try await Self.approve(browser, Self.authorizeURI()))["code"])
            let (redirect, _) = try await Self.redeem(client, code: code, redirect: "https://app.example/other?tenant=1", auth: basic)
            #expect(redirect == .badRequest)
        }
    }

    // MARK: - PAR (RFC 9126)

    static func push(
        _ client: any TestClientProtocol,
        auth: String?,
        _ form: [(String, String)]
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
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

    static let pushed = [
        ("response_type", "code"), ("redirect_uri", callback), ("scope", "read"), ("state", "p-1"),
        ("code_challenge", challenge), ("code_challenge_method", "S256"),
    ]

    @Test func aPushedRequestIsUsedOnceAndOnlyByItsClient() async throws {
        let basic = webBasic
        try await withApp { client, app in
            let (status, body) = try await Self.push(client, auth: basic, Self.pushed)
            #expect(status == .created)
            let requestURI = try #require(body["request_uri"] as? String)
            #expect(requestURI.hasPrefix("urn:ietf:params:oauth:request_uri:"))
            #expect(body["expires_in"] as? Int == 90)
            let browser = Browser(client)
            try await browser.signIn()
            let uri = "/authorize?" + FormParameters([("client_id", Self.web), ("request_uri", requestURI)]).encoded
            let location = try await Self.approve(browser, uri)
            #expect(Self.query(location)["state"] == "p-1")
            #expect(Self.query(location)["iss"] == app.engine.configuration.issuer)
            let (redeemed, _) = try await Self.redeem(client, code: try #require(Self.query(location)["code"]), auth: basic)
            #expect(redeemed == .ok)
            // Replay of the request_uri.
            let replay = try await browser.request(uri)
            #expect(replay.status == .badRequest)
            #expect(replay.location == nil)

            // Another client cannot use it, nor use it up: its own client still can (RFC 9126 §4: the request_uri is
            // bound to the client that pushed it; whoever learns it must not be able to spend it).
            let (_, fresh) = try await Self.push(client, auth: basic, Self.pushed)
            let freshURI = try #require(fresh["request_uri"] as? String)
            let other = try await browser.request(
                "/authorize?" + FormParameters([("client_id", Self.spa), ("request_uri", freshURI)]).encoded
            )
            #expect(other.status == .badRequest)
            let own = try await Self.approve(
                browser,
                "/authorize?" + FormParameters([("client_id", Self.web), ("request_uri", freshURI)]).encoded
            )
            #expect(Self.query(own)["code"] != nil, "\(own)")
        }
    }

    @Test func anExpiredPushedRequestIsRefused() async throws {
        let (basic, clock) = (webBasic, clock)
        try await withApp { client, _ in
            let (_, body) = try await Self.push(client, auth: basic, Self.pushed)
            clock.advance(by: 91)
            let page = try await Browser(client).request(
                "/authorize?"
                    + FormParameters([("client_id", Self.web), ("request_uri", try #require(body["request_uri"] as? String))]).encoded
            )
            #expect(page.status == .badRequest)
            #expect(page.location == nil)
        }
    }

    @Test func theParEndpointAuthenticatesAndValidates() async throws {
        let basic = webBasic
        try await withApp { client, _ in
            let (wrongSecret, wrongBody) = try await Self.push(
                client,
                auth: TestClients.basicAuthorization(id: Self.web, secret: "not-the-secret-not-the-secret-0000"),
                Self.pushed
            )
            #expect(wrongSecret == .unauthorized)
            #expect(wrongBody["error"] as? String == "invalid_client")
            let (badRedirect, badBody) = try await Self.push(
                client,
                auth: basic,
                Self.pushed.map { $0.0 == "redirect_uri" ? ($0.0, "https://evil.example/cb") : $0 }
            )
            #expect(badRedirect == .badRequest)
            #expect(badBody["error"] as? String == "invalid_request")
            let (plain, _) = try await Self.push(
                client,
                auth: basic,
                Self.pushed.map { $0.0 == "code_challenge_method" ? ($0.0, "plain") : $0 }
            )
            #expect(plain == .badRequest)
            let (nested, _) = try await Self.push(
                client,
                auth: basic,
                Self.pushed + [("request_uri", "urn:ietf:params:oauth:request_uri:x")]
            )
            #expect(nested == .badRequest)
        }
    }

    @Test func aClientRequiredToPushIsRefusedWithoutPAR() async throws {
        try await withApp { client, _ in
            let page = try await Browser(client).request(Self.authorizeURI(client: "push-only", scope: "read"))
            #expect(page.status == .found)
            #expect(Self.query(try #require(page.location))["error"] == "invalid_request")
        }
    }

    // MARK: - Discovery

    @Test func metadataAndOpenIDConfigurationAdvertiseTheFlow() async throws {
        try await withApp { client, app in
            for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
                let document = try await client.execute(uri: path, method: .get) { try HTTPHelpers.json($0.body) }
                let base = app.engine.configuration.issuer
                #expect(document["issuer"] as? String == base)
                #expect(document["authorization_endpoint"] as? String == base + "/authorize")
                #expect(document["pushed_authorization_request_endpoint"] as? String == base + "/par")
                #expect(document["code_challenge_methods_supported"] as? [String] == ["S256"])
                #expect(document["authorization_response_iss_parameter_supported"] as? Bool == true)
                #expect(document["userinfo_endpoint"] as? String == base + "/userinfo")
                #expect(document["response_types_supported"] as? [String] == ["code"])
                #expect((document["grant_types_supported"] as? [String])?.contains("authorization_code") == true)
            }
        }
    }
}
