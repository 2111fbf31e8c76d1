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

/// The client-challenge policy judges the rights a token will carry, whichever grant carries them (review
/// round 10, H2–H4): a metadata-document client's code and refresh token are judged on the code's and the
/// family's scope and `authorization_details`, the hard refusals are met at the authorization endpoint and
/// PAR, a user mandate must cover the request's details, and an amount that cannot be read counts as unbounded.
@Suite struct ClientChallengeGrantRightsTests {
    typealias Flow = AuthorizationCodeFlowTests
    typealias Challenge = ClientChallengeTests
    static let issuer = ClientChallengeTests.issuer
    static let mandate = ChallengeRequirement.userMandate
    static let policy = """
        @challenge("\(mandate)")
        forbid(principal, action, resource) when { context.largest_amount > 1000 };
        @reason("write is never for clients met on the fly")
        forbid(principal, action, resource) when { context.metadata_document_client && context.scopes.contains("write") };
        """
    /// The user's AS, whose mandates this server trusts.
    static let home = ClientChallengeTests.Agent(id: "https://home-as.example")
    let clock = TestClock()

    /// A public metadata-document client for the code flow that understands challenges.
    static func document(_ clientID: String) -> String {
        """
        {"client_id":"\(clientID)","client_name":"Agent","redirect_uris":["\(Flow.spaCallback)"],
         "grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none",
         "scope":"openid read write payments","insufficient_client_authorization_supported":true}
        """
    }

    func withApp(
        _ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void
    ) async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            let clientID = base + "/agent.json"
            documents.set("/agent.json", json: Self.document(clientID))
            try await withServer(policy: Self.policy) { client in try await body(client, clientID) }
        }
    }

    /// Tessera for the metadata-document client, with `policy` as the client-challenge policy, on `database`
    /// (in memory by default).
    func withServer(
        policy: String?,
        database: String? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let homeKeys = PublicJWKSet(keys: [Self.home.publicJWK])
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            if let database { configuration.database = database }
            configuration.issuer = Self.issuer
            configuration.clientMetadataDocumentsEnabled = true
            configuration.clientMetadata.allowHTTP = true
            configuration.clientMetadata.allowedGrantTypes = [.authorizationCode, .refreshToken]
            configuration.clientMetadata.allowedScopes = ["openid", "read", "write", "payments"]
            configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")!])
            configuration.clientChallenges.policy = policy
            configuration.clientChallenges.mandateIssuers = [.init(issuer: Self.home.id, jwks: homeKeys)]
            configuration.authorizationDetailsTypes.append(
                AuthorizationDetailsTypeDefinition(type: "payment_initiation", requiredMembers: ["instructedAmount"])
            )
        }
        try await app.application.test(.router) { client in try await body(client) }
    }

    /// A refresh family that holds a scope the policy refuses (issued before the rule was written) is refused at
    /// a refresh that does not name the scope, and at one that narrows it away: the new refresh token would
    /// still carry it.
    @Test func aRefreshFamilyHoldingARefusedScopeIsRefusedWithoutNamingIt() async throws {
        let documents = ClientMetadataDocumentServer()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-h2-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = "sqlite:" + path
        try await documents.run { base in
            let clientID = base + "/agent.json"
            documents.set("/agent.json", json: Self.document(clientID))
            let refresh = Box()
            try await withServer(policy: nil, database: database) { client in
                let browser = Flow.Browser(client)
                try await browser.signIn()
                let uri = Flow.authorizeURI(client: clientID, redirect: Flow.spaCallback, scope: "openid read write")
                let code = try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
                let (status, body) = try await Flow.redeem(client, code: code, redirect: Flow.spaCallback, auth: nil, clientID: clientID)
                #expect(status == .ok, "\(body)")
                refresh.value = try #require(body["refresh_token"] as? String)
            }
            try await withServer(policy: Self.policy, database: database) { client in
                for narrowed in [nil, "read"] {
                    var form = [("grant_type", "refresh_token"), ("refresh_token", refresh.value), ("client_id", clientID)]
                    if let narrowed { form.append(("scope", narrowed)) }
                    let (status, body) = try await Flow.token(client, form, auth: nil)
                    #expect(status == .badRequest, "\(body)")
                    #expect(body["error"] as? String == "unauthorized_client", "\(body)")
                }
            }
        }
    }

    /// A value carried from one server's run to the next.
    final class Box: @unchecked Sendable { var value = "" }

    static func details(_ amount: String) -> String {
        #"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"\#(amount)"}}]"#
    }

    /// A mandate from the user's AS for this client, answering `nonce`, naming `details` if given.
    func mandate(client: String, nonce: String, details: String?) async throws -> String {
        var claims: [String: JSONValue] = [
            "iss": .string(Self.home.id), "sub": .string("alice"), "aud": .string(Self.issuer), "client_id": .string(client),
            "scope": .string("openid payments"), "nonce": .string(nonce), "jti": .string(UUID().uuidString),
            "iat": .number(clock.now.timeIntervalSince1970), "exp": .number(clock.now.timeIntervalSince1970 + 60),
        ]
        if let details { claims["authorization_details"] = try JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)) }
        return try await Self.home.sign(claims)
    }

    /// The `authorization_requirement` of a 403 `insufficient_client_authorization`, with its session and nonce.
    static func requirement(_ status: HTTPResponse.Status, _ body: [String: Any]) throws -> ([String: Any], String, String) {
        #expect(status == .forbidden, "\(body)")
        #expect(body["error"] as? String == "insufficient_client_authorization")
        let requirement = try #require(body["authorization_requirement"] as? [String: Any])
        #expect(requirement["type"] as? String == mandate)
        return (requirement, try #require(body["challenge_session"] as? String), try #require(requirement["nonce"] as? String))
    }

    // MARK: - H2: refusals at the authorization endpoint and PAR

    /// A scope the policy refuses outright is refused before the person is asked: at /authorize as an error response
    /// for the verified redirect URI (RFC 6749 §4.1.2.1, with `state` and `iss`) — on a page with the link back, since
    /// the metadata document alone vouches for that URI (RFC 9700 §4.11.2, K5) — at PAR as a 400.
    @Test func aRefusedScopeIsRefusedAtTheAuthorizationEndpointAndPAR() async throws {
        try await withApp { client, clientID in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let refused = try await browser.request(Flow.authorizeURI(client: clientID, redirect: Flow.spaCallback, scope: "openid write"))
            #expect(refused.status == .badRequest && refused.location == nil)
            let (location, answer) = try UntrustedRedirectTests.link(refused)
            #expect(location.hasPrefix(Flow.spaCallback))
            #expect(answer["error"] == "unauthorized_client")
            // The redirect's query is form-encoded ('+' for a space), which URLComponents leaves as is.
            let description = answer["error_description"]?.replacingOccurrences(of: "+", with: " ")
            #expect(description?.contains("write is never for clients met on the fly") == true, "\(answer)")
            #expect(answer["state"] == "st-123" && answer["iss"] == Self.issuer)

            let allowed = try await browser.request(Flow.authorizeURI(client: clientID, redirect: Flow.spaCallback, scope: "openid read"))
            #expect(allowed.status == .seeOther && allowed.location?.hasPrefix("/authorize/") == true)

            let form = [
                ("client_id", clientID), ("response_type", "code"), ("redirect_uri", Flow.spaCallback), ("scope", "read write"),
                ("code_challenge", Flow.challenge), ("code_challenge_method", "S256"),
            ]
            let (status, pushed) = try await client.execute(
                uri: "/par",
                method: .post,
                headers: HTTPHelpers.form,
                body: ByteBuffer(string: FormParameters(form).encoded)
            ) { ($0.status, try HTTPHelpers.json($0.body)) }
            #expect(status == .badRequest)
            #expect(pushed["error"] as? String == "unauthorized_client")
        }
    }

    /// PAR answers a request the policy would challenge as /authorize does: it is accepted (a challenge needs the
    /// token request it binds, and the person has not consented yet), and the challenge comes at redemption, on the
    /// code's rights — the same `insufficient_client_authorization` as for a code from a plain /authorize.
    @Test func aPushedRequestIsChallengedAtRedemptionAsAnAuthorizeRequestIs() async throws {
        try await withApp { client, clientID in
            let details = Self.details("5000")
            let (status, pushed) = try await Flow.push(
                client,
                auth: nil,
                [
                    ("client_id", clientID), ("response_type", "code"), ("redirect_uri", Flow.spaCallback),
                    ("scope", "openid payments"), ("authorization_details", details), ("code_challenge", Flow.challenge),
                    ("code_challenge_method", "S256"),
                ]
            )
            #expect(status == .created, "\(pushed)")
            let requestURI = try #require(pushed["request_uri"] as? String)
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let uri = "/authorize?" + FormParameters([("client_id", clientID), ("request_uri", requestURI)]).encoded
            let code = try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
            let redeem = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.spaCallback),
                ("code_verifier", Flow.verifier), ("client_id", clientID),
            ]
            let (redeemed, body) = try await Flow.token(client, redeem, auth: nil)
            let (requirement, _, _) = try Self.requirement(redeemed, body)
            let carried = try #require(requirement["authorization_details"] as? [[String: Any]])
            #expect((carried.first?["instructedAmount"] as? [String: Any])?["amount"] as? String == "5000")
        }
    }

    // MARK: - H2: the code's and the refresh family's rights

    /// A code whose approved details carry 5,000 is challenged at redemption, before it is spent: the retry
    /// with the same code and a mandate covering the details gets the token, and the code stays single use.
    /// A plain refresh of that family carries the same amount and is challenged again.
    @Test func aCodeAndItsRefreshAreJudgedOnTheRightsTheyCarry() async throws {
        try await withApp { client, clientID in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let details = Self.details("5000")
            let uri = Flow.authorizeURI(
                client: clientID,
                redirect: Flow.spaCallback,
                scope: "openid payments",
                extra: [("authorization_details", details)]
            )
            let code = try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
            let redeem = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.spaCallback),
                ("code_verifier", Flow.verifier), ("client_id", clientID),
            ]
            let (status, body) = try await Flow.token(client, redeem, auth: nil)
            let (requirement, session, nonce) = try Self.requirement(status, body)
            #expect(requirement["scope"] as? String == "openid payments")
            let carried = try #require(requirement["authorization_details"] as? [[String: Any]])
            #expect((carried.first?["instructedAmount"] as? [String: Any])?["amount"] as? String == "5000")

            let evidence = try await mandate(client: clientID, nonce: nonce, details: details)
            let (okStatus, okBody) = try await Flow.token(
                client,
                redeem + [("challenge_session", session), ("challenge_evidence", evidence)],
                auth: nil
            )
            #expect(okStatus == .ok, "\(okBody)")
            #expect(okBody["scope"] as? String == "openid payments")
            let refresh = try #require(okBody["refresh_token"] as? String)

            let plain = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", clientID)]
            let (refreshStatus, refreshBody) = try await Flow.token(client, plain, auth: nil)
            let (_, refreshSession, refreshNonce) = try Self.requirement(refreshStatus, refreshBody)
            let again = try await mandate(client: clientID, nonce: refreshNonce, details: details)
            let (renewed, renewedBody) = try await Flow.token(
                client,
                plain + [("challenge_session", refreshSession), ("challenge_evidence", again)],
                auth: nil
            )
            #expect(renewed == .ok, "\(renewedBody)")

            // The code is still single use (and its replay revokes what it issued, RFC 6749 §4.1.2).
            let (replayStatus, replay) = try await Flow.token(client, redeem, auth: nil)
            #expect(replayStatus == .badRequest && replay["error"] as? String == "invalid_grant")
        }
    }

    // MARK: - H3: the mandate covers the details

    /// A mandate answers a challenge raised by an amount only when its `authorization_details` cover the
    /// request's (RFC 9396 §7): one for €10, or one naming no details, does not clear €5,000.
    @Test func aMandateMustCoverTheRequestsAuthorizationDetails() async throws {
        try await withApp { client, clientID in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let details = Self.details("5000")
            let uri = Flow.authorizeURI(
                client: clientID,
                redirect: Flow.spaCallback,
                scope: "openid payments",
                extra: [("authorization_details", details)]
            )
            for (wrong, expected) in [(Self.details("10"), "authorization_details"), (nil, "authorization_details")] {
                let code = try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
                let redeem = [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.spaCallback),
                    ("code_verifier", Flow.verifier), ("client_id", clientID),
                ]
                let (status, body) = try await Flow.token(client, redeem, auth: nil)
                let (_, session, nonce) = try Self.requirement(status, body)
                let evidence = try await mandate(client: clientID, nonce: nonce, details: wrong)
                let (refusedStatus, refused) = try await Flow.token(
                    client,
                    redeem + [("challenge_session", session), ("challenge_evidence", evidence)],
                    auth: nil
                )
                #expect(refusedStatus == .badRequest, "\(refused)")
                #expect(refused["error"] as? String == "unauthorized_client")
                #expect((refused["error_description"] as? String)?.contains(expected) == true, "\(refused)")
            }
        }
    }

    // MARK: - H4: amounts that cannot be read

    /// An `amount` that is not a plain decimal number (RFC 8259 §6 grammar, as a number or a string) counts
    /// as unbounded: the amount challenge applies instead of the amount being read as 0.
    @Test(arguments: ["5000 ", "5,000.00", "５０００", "+5000", "0x1388", "Infinity", "1e400", ""])
    func anUnreadableAmountIsChallenged(_ amount: String) async throws {
        try await withApp { client, clientID in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let uri = Flow.authorizeURI(
                client: clientID,
                redirect: Flow.spaCallback,
                scope: "openid payments",
                extra: [("authorization_details", Self.details(amount))]
            )
            let code = try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
            let redeem = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.spaCallback),
                ("code_verifier", Flow.verifier), ("client_id", clientID),
            ]
            let (status, body) = try await Flow.token(client, redeem, auth: nil)
            _ = try Self.requirement(status, body)
        }
    }

    /// Plain decimal numbers are read as written: 999.99 passes, 5E+3 is 5,000, and -5000 is 5,000 by its magnitude (a
    /// payment API may read it as a debit; review round 11, J3).
    @Test func plainDecimalAmountsAreReadAsWritten() async throws {
        try await withApp { client, clientID in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            for (amount, challenged) in [("999.99", false), ("5E+3", true), ("-5000", true)] {
                let uri = Flow.authorizeURI(
                    client: clientID,
                    redirect: Flow.spaCallback,
                    scope: "openid payments",
                    extra: [("authorization_details", Self.details(amount))]
                )
                let code = try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
                let redeem = [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.spaCallback),
                    ("code_verifier", Flow.verifier), ("client_id", clientID),
                ]
                let (status, body) = try await Flow.token(client, redeem, auth: nil)
                #expect(status == (challenged ? .forbidden : .ok), "\(amount): \(body)")
            }
        }
    }
    // MARK: - The same at client_credentials (the attack scripts cc3.py and cc4.py)

    /// Tessera with the amount policy, for a private_key_jwt agent at client_credentials.
    func withAgent(_ body: @escaping @Sendable (any TestClientProtocol, ClientChallengeTests.Agent) async throws -> Void) async throws {
        let homeKeys = PublicJWKSet(keys: [Self.home.publicJWK])
        try await ClientChallengeTests().withServers(
            policy: Self.policy,
            clock: clock,
            configure: { configuration in
                configuration.clientChallenges.mandateIssuers = [.init(issuer: Self.home.id, jwks: homeKeys)]
                configuration.authorizationDetailsTypes = [
                    AuthorizationDetailsTypeDefinition(type: "payment_initiation", requiredMembers: ["instructedAmount"])
                ]
            }
        ) { documents, base, client in
            let agent = ClientChallengeTests.Agent(id: base + "/agents/payer.json")
            documents.set("/agents/payer.json", json: agent.document())
            try await body(client, agent)
        }
    }

    /// cc3.py: a mandate for €10 (or one naming no details) does not clear a €5,000 or €900,000 request; one
    /// naming the request's own details does, and the requirement shows the details to be mandated.
    @Test(arguments: ["5000", "900000"])
    func aMandateForLessDoesNotClearAClientCredentialsRequest(_ amount: String) async throws {
        let clock = clock
        try await withAgent { client, agent in
            let details = Self.details(amount)
            func ask(_ extra: [(String, String)]) async throws -> (HTTPResponse.Status, [String: Any]) {
                let form = Challenge.grant(
                    agent,
                    try await agent.assertion(issuer: Self.issuer, now: clock.now),
                    extra: [("authorization_details", details)] + extra
                )
                let (status, body, _) = try await Challenge.token(client, form)
                return (status, body)
            }
            for wrong in [Self.details("10"), nil] {
                let (status, body) = try await ask([])
                let (requirement, session, nonce) = try Self.requirement(status, body)
                let carried = try #require(requirement["authorization_details"] as? [[String: Any]])
                #expect((carried.first?["instructedAmount"] as? [String: Any])?["amount"] as? String == amount)
                let evidence = try await mandate(client: agent.id, nonce: nonce, details: wrong)
                let (refusedStatus, refused) = try await ask([("challenge_session", session), ("challenge_evidence", evidence)])
                #expect(refusedStatus == .badRequest, "\(refused)")
                #expect(refused["error"] as? String == "unauthorized_client")
            }
            let (status, body) = try await ask([])
            let (_, session, nonce) = try Self.requirement(status, body)
            let evidence = try await mandate(client: agent.id, nonce: nonce, details: details)
            let (okStatus, okBody) = try await ask([("challenge_session", session), ("challenge_evidence", evidence)])
            #expect(okStatus == .ok, "\(okBody)")
        }
    }

    /// A mandate's `amount` is a ceiling: €10,000 covers a €5,000 payment (and €5,000 itself), not €5,000.01, not
    /// another currency, not another creditor; an amount either side cannot read covers nothing (fail closed).
    @Test func aMandateForMoreCoversALesserPaymentOfTheSameKind() async throws {
        let clock = clock
        try await withAgent { client, agent in
            func payment(_ amount: String, currency: String = "EUR", creditor: String = "Merchant A") -> String {
                #"[{"type":"payment_initiation","instructedAmount":{"currency":"\#(currency)","amount":"\#(amount)"},"creditorName":"\#(creditor)"}]"#
            }
            func answered(request: String, mandate mandated: String) async throws -> HTTPResponse.Status {
                func ask(_ extra: [(String, String)]) async throws -> (HTTPResponse.Status, [String: Any]) {
                    let form = Challenge.grant(
                        agent,
                        try await agent.assertion(issuer: Self.issuer, now: clock.now),
                        extra: [("authorization_details", request)] + extra
                    )
                    let (status, body, _) = try await Challenge.token(client, form)
                    return (status, body)
                }
                let (status, body) = try await ask([])
                let (_, session, nonce) = try Self.requirement(status, body)
                let evidence = try await mandate(client: agent.id, nonce: nonce, details: mandated)
                let (answer, answerBody) = try await ask([("challenge_session", session), ("challenge_evidence", evidence)])
                #expect(answer == .ok || answerBody["error"] as? String == "unauthorized_client", "\(answerBody)")
                return answer
            }
            let cases: [(String, String, HTTPResponse.Status)] = [
                (payment("5000"), payment("10000"), .ok), (payment("5000.00"), payment("5000"), .ok),
                (payment("5000.01"), payment("5000"), .badRequest), (payment("5000"), payment("10000", currency: "USD"), .badRequest),
                (payment("5000"), payment("10000", creditor: "Merchant B"), .badRequest),
                (payment("5000 "), payment("5000 "), .badRequest), (payment("5000"), payment("1e400"), .badRequest),
            ]
            for (request, mandated, expected) in cases {
                let answer = try await answered(request: request, mandate: mandated)
                #expect(answer == expected, "\(request) within \(mandated)")
            }
        }
    }

    /// cc4.py: "5000 ", "5,000.00" and full-width digits are challenged like "5000", not read as 0.
    @Test func unreadableAmountsAreChallengedAtClientCredentials() async throws {
        let clock = clock
        try await withAgent { client, agent in
            // J3 (review round 11): an amount given as an object, an empty object or an empty array is unbounded too.
            let shapes = [#"{"value":"5000"}"#, "{}", "[]"].map { amount in
                #"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":\#(amount)}}]"#
            }
            for details in ["5000 ", "5,000.00", "５０００"].map(Self.details) + shapes {
                let form = Challenge.grant(
                    agent,
                    try await agent.assertion(issuer: Self.issuer, now: clock.now),
                    extra: [("authorization_details", details)]
                )
                let (status, body, _) = try await Challenge.token(client, form)
                #expect(status == .forbidden, "\(details): \(body)")
                #expect(body["error"] as? String == "insufficient_client_authorization")
            }
        }
    }
}
