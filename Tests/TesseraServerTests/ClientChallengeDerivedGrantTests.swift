// swift-format-ignore-file: NeverForceUnwrap, NeverUseForceTry

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The client-challenge policy judges what a token exchange, a JWT authorization grant and an ID-JAG redemption
/// will issue — the subject token's or the assertion's scope and `authorization_details` — not only the
/// parameters presented (review round 10, H2 remainder). A challenge leaves the assertion unspent, so the retry
/// with evidence redeems it, once.
@Suite struct ClientChallengeDerivedGrantTests {
    typealias Challenge = ClientChallengeTests
    typealias Agent = ClientChallengeTests.Agent
    static let issuer = Challenge.issuer
    static let mandate = ChallengeRequirement.userMandate
    static let exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    static let policy = """
        @challenge("\(mandate)")
        forbid(principal, action, resource) when {
          context.metadata_document_client && (context.scopes.contains("payments") || context.largest_amount > 1000)
        };
        @reason("admin is never for clients met on the fly")
        forbid(principal, action, resource) when { context.metadata_document_client && context.scopes.contains("admin") };
        """
    /// A trusted subject-token issuer, a peer AS whose JWT grants we redeem, an IdP whose ID-JAGs we redeem, the user's AS.
    static let idp = Agent(id: "https://idp.example")
    static let peer = Agent(id: "https://peer-as.example")
    static let enterprise = Agent(id: "https://enterprise-idp.example")
    static let home = Agent(id: "https://home-as.example")
    static let largePayment = #"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"5000"}}]"#

    /// A metadata-document agent that exchanges and redeems grants and understands challenges.
    static func document(_ agent: Agent) -> String {
        let jwks = String(decoding: try! JSONEncoder().encode(PublicJWKSet(keys: [agent.publicJWK])), as: UTF8.self)
        return """
            {"client_id":"\(agent.id)","client_name":"Agent","token_endpoint_auth_method":"private_key_jwt",
             "grant_types":["\(exchange)","\(jwtBearer)"],"scope":"payments read admin","jwks":\(jwks),
             "insufficient_client_authorization_supported":true}
            """
    }

    func withAgent(
        clock: TestClock,
        _ body: @escaping @Sendable (Agent, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await Challenge().withServers(
            policy: Self.policy,
            clock: clock,
            configure: { configuration in
                configuration.clientMetadata.allowedGrantTypes = [.tokenExchange, .jwtBearer]
                var subjects = TrustConfiguration.SubjectTokenIssuer(issuer: Self.idp.id)
                subjects.jwks = PublicJWKSet(keys: [Self.idp.publicJWK])
                configuration.chaining.subjectTokenIssuers = [subjects]
                var grants = TrustConfiguration.Peer(name: "peer", issuer: Self.peer.id)
                grants.jwks = PublicJWKSet(keys: [Self.peer.publicJWK])
                var jags = TrustConfiguration.Peer(name: "enterprise", issuer: Self.enterprise.id)
                jags.jwks = PublicJWKSet(keys: [Self.enterprise.publicJWK])
                jags.idJAG = IDJAGTrust()
                configuration.chaining.peers = [grants, jags]
                configuration.clientChallenges.mandateIssuers = [
                    .init(issuer: Self.home.id, jwks: PublicJWKSet(keys: [Self.home.publicJWK]))
                ]
                configuration.authorizationDetailsTypes = [
                    AuthorizationDetailsTypeDefinition(type: "payment_initiation", requiredMembers: ["instructedAmount"])
                ]
            }
        ) { documents, base, client in
            let agent = Agent(id: base + "/agents/deriver.json")
            documents.set("/agents/deriver.json", json: Self.document(agent))
            try await body(agent, client)
        }
    }

    /// The agent's authenticated token request.
    static func form(_ agent: Agent, clock: TestClock, _ grant: [(String, String)]) async throws -> [(String, String)] {
        grant + [
            ("client_id", agent.id), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", try await agent.assertion(issuer: issuer, now: clock.now)),
        ]
    }

    /// A JWT signed by `signer` for this server, for `agent`, carrying `claims` besides the usual ones.
    static func jwt(
        _ signer: Agent,
        for agent: Agent,
        clock: TestClock,
        typ: String = "JWT",
        _ claims: [String: JSONValue]
    ) async throws
        -> String
    {
        let now = Double(Int(clock.now.timeIntervalSince1970))
        var all: [String: JSONValue] = [
            "iss": .string(signer.id), "sub": .string("alice"), "aud": .string(issuer), "client_id": .string(agent.id),
            "iat": .number(now), "exp": .number(now + 120), "jti": .string(UUID().uuidString),
        ]
        for (name, value) in claims { all[name] = value }
        return try await signer.sign(all, typ: typ)
    }

    /// The user's mandate for `agent`, answering `nonce`, for `scope` and `details`.
    static func userMandate(for agent: Agent, clock: TestClock, nonce: String, scope: String, details: String? = nil) async throws -> String
    {
        var claims: [String: JSONValue] = ["scope": .string(scope), "nonce": .string(nonce)]
        if let details { claims["authorization_details"] = try JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)) }
        return try await jwt(home, for: agent, clock: clock, claims)
    }

    /// Presents `grant` (a request naming no scope): challenged for a mandate on `scope`, then, with the mandate,
    /// issued that scope; the requirement's scope is returned with the token response.
    static func challengedThenIssued(
        _ client: any TestClientProtocol,
        _ agent: Agent,
        clock: TestClock,
        grant: [(String, String)],
        scope: String,
        details: String? = nil
    ) async throws -> [String: Any] {
        let (status, body, _) = try await Challenge.token(client, try await form(agent, clock: clock, grant))
        #expect(status == .forbidden, "\(body)")
        #expect(body["error"] as? String == "insufficient_client_authorization")
        let requirement = try #require(body["authorization_requirement"] as? [String: Any])
        #expect(requirement["type"] as? String == mandate)
        #expect(requirement["scope"] as? String == scope)
        let session = try #require(body["challenge_session"] as? String)
        let nonce = try #require(requirement["nonce"] as? String)
        let evidence = try await userMandate(for: agent, clock: clock, nonce: nonce, scope: scope, details: details)
        let retry = grant + [("challenge_session", session), ("challenge_evidence", evidence)]
        let (okStatus, okBody, _) = try await Challenge.token(client, try await form(agent, clock: clock, retry))
        #expect(okStatus == .ok, "\(okBody)")
        #expect(okBody["scope"] as? String == scope, "\(okBody)")
        return okBody
    }

    /// A refusal by the policy's `@reason` for admin.
    static func expectAdminRefused(
        _ client: any TestClientProtocol,
        _ agent: Agent,
        clock: TestClock,
        grant: [(String, String)]
    ) async throws {
        let (status, body, _) = try await Challenge.token(client, try await form(agent, clock: clock, grant))
        #expect(status == .badRequest, "\(body)")
        #expect(body["error"] as? String == "unauthorized_client", "\(body)")
        #expect((body["error_description"] as? String)?.contains("admin is never for clients met on the fly") == true, "\(body)")
    }

    /// Token exchange without `scope` issues the subject token's: that is what is challenged, or refused.
    @Test func anExchangeIsJudgedOnTheSubjectTokensScope() async throws {
        let clock = TestClock()
        try await withAgent(clock: clock) { agent, client in
            func exchange(_ scope: String) async throws -> [(String, String)] {
                let subject = try await Self.jwt(Self.idp, for: agent, clock: clock, ["azp": .string(agent.id), "scope": .string(scope)])
                return [
                    ("grant_type", Self.exchange), ("subject_token", subject),
                    ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
                ]
            }
            _ = try await Self.challengedThenIssued(client, agent, clock: clock, grant: try await exchange("payments"), scope: "payments")
            try await Self.expectAdminRefused(client, agent, clock: clock, grant: try await exchange("admin read"))
        }
    }

    /// A JWT authorization grant without `scope` issues the grant's; the challenge leaves the grant unspent, the retry
    /// with the mandate redeems it, and it stays single use.
    @Test func aJWTGrantIsJudgedOnItsScopeAndTheChallengeLeavesItUsable() async throws {
        let clock = TestClock()
        try await withAgent(clock: clock) { agent, client in
            let assertion = try await Self.jwt(Self.peer, for: agent, clock: clock, ["scope": .string("payments")])
            let grant = [("grant_type", Self.jwtBearer), ("assertion", assertion)]
            _ = try await Self.challengedThenIssued(client, agent, clock: clock, grant: grant, scope: "payments")
            // Presented again, it is challenged again (its `jti` is spent only by the commit that records a token), and
            // the answered retry is refused: the grant was redeemed once.
            let (again, body, _) = try await Challenge.token(client, try await Self.form(agent, clock: clock, grant))
            #expect(again == .forbidden, "\(body)")
            let session = try #require(body["challenge_session"] as? String)
            let nonce = try #require((body["authorization_requirement"] as? [String: Any])?["nonce"] as? String)
            let evidence = try await Self.userMandate(for: agent, clock: clock, nonce: nonce, scope: "payments")
            let retry = grant + [("challenge_session", session), ("challenge_evidence", evidence)]
            let (spent, spentBody, _) = try await Challenge.token(client, try await Self.form(agent, clock: clock, retry))
            #expect(spent == .badRequest && spentBody["error"] as? String == "invalid_grant", "\(spentBody)")
            #expect((spentBody["error_description"] as? String)?.contains("already used") == true, "\(spentBody)")

            let admin = try await Self.jwt(Self.peer, for: agent, clock: clock, ["scope": .string("admin")])
            try await Self.expectAdminRefused(client, agent, clock: clock, grant: [("grant_type", Self.jwtBearer), ("assertion", admin)])
        }
    }

    /// An ID-JAG without `scope` or `authorization_details` in the request issues the ID-JAG's: its scope and its
    /// €5,000 entry are challenged, and the mandate must cover the entry.
    @Test func anIDJAGIsJudgedOnItsScopeAndDetails() async throws {
        let clock = TestClock()
        try await withAgent(clock: clock) { agent, client in
            func redeem(_ claims: [String: JSONValue]) async throws -> [(String, String)] {
                let jag = try await Self.jwt(Self.enterprise, for: agent, clock: clock, typ: IDJAGTrust.type, claims)
                return [("grant_type", Self.jwtBearer), ("assertion", jag)]
            }
            _ = try await Self.challengedThenIssued(
                client,
                agent,
                clock: clock,
                grant: try await redeem(["scope": .string("payments")]),
                scope: "payments"
            )
            let details = try JSONDecoder().decode(JSONValue.self, from: Data(Self.largePayment.utf8))
            let issued = try await Self.challengedThenIssued(
                client,
                agent,
                clock: clock,
                grant: try await redeem(["scope": .string("read"), "authorization_details": details]),
                scope: "read",
                details: Self.largePayment
            )
            #expect((issued["authorization_details"] as? [[String: Any]])?.count == 1, "\(issued)")
            try await Self.expectAdminRefused(client, agent, clock: clock, grant: try await redeem(["scope": .string("admin")]))
        }
    }
}
