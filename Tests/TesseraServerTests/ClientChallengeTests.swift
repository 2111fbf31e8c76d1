// swift-format-ignore-file: NeverForceUnwrap, NeverUseForceTry

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Client ID Metadata Documents and client challenges at the token endpoint, with the client's
/// document and keys served over real HTTP from loopback (allow-listed for the test).
@Suite struct ClientChallengeTests {
    static let issuer = "https://as.tessera.test"
    static let attestation = ChallengeRequirement.clientAttestation
    static let mandate = ChallengeRequirement.userMandate
    static let firstSeenPolicy = """
        @challenge("\(attestation)")
        forbid(principal, action, resource) when { context.metadata_document_client && context.client_age_seconds < 600 };
        @reason("admin scope is never delegated to metadata-document clients")
        forbid(principal, action, resource) when { context.metadata_document_client && context.scopes.contains("admin") };
        """

    /// A client that lives at `base + path`: its key, and its document.
    struct Agent {
        let key = P256.Signing.PrivateKey()
        let id: String

        var publicJWK: PublicJWK {
            let point = key.publicKey.x963Representation.dropFirst()
            return PublicJWK(
                kty: "EC",
                crv: "P-256",
                x: TestClients.base64url(point.prefix(32)),
                y: TestClients.base64url(point.suffix(32)),
                kid: "agent-1",
                alg: "ES256"
            )
        }

        func document(supportsChallenges: Bool = true, clientID: String? = nil, extra: String = "") -> String {
            let jwks = String(decoding: try! JSONEncoder().encode(PublicJWKSet(keys: [publicJWK])), as: UTF8.self)
            return """
                {"client_id": "\(clientID ?? id)", "client_name": "Agent", "token_endpoint_auth_method": "private_key_jwt",
                 "grant_types": ["client_credentials"], "scope": "payments read admin", "jwks": \(jwks),
                 "insufficient_client_authorization_supported": \(supportsChallenges)\(extra)}
                """
        }

        func sign(_ claims: [String: JSONValue], typ: String = "JWT") async throws -> String {
            let point = key.publicKey.x963Representation.dropFirst()
            let jwk =
                #"{"kty":"EC","crv":"P-256","x":"\#(TestClients.base64url(point.prefix(32)))","y":"\#(TestClients.base64url(point.suffix(32)))","d":"\#(TestClients.base64url(key.rawRepresentation))"}"#
            let signer = try await JWSSigner(privateJWK: jwk, kid: "agent-1", algorithm: .es256)
            return try signer.sign(claims, type: typ)
        }

        func assertion(issuer: String, now: Date) async throws -> String {
            try await sign([
                "iss": .string(id), "sub": .string(id), "aud": .string(issuer), "jti": .string(UUID().uuidString),
                "iat": .number(now.timeIntervalSince1970), "exp": .number(now.timeIntervalSince1970 + 60),
            ])
        }

        func attestation(issuer: String, nonce: String, now: Date, jti: String = UUID().uuidString) async throws -> String {
            try await sign([
                "iss": .string(id), "sub": .string(id), "aud": .string(issuer), "jti": .string(jti), "nonce": .string(nonce),
                "iat": .number(now.timeIntervalSince1970), "exp": .number(now.timeIntervalSince1970 + 120),
            ])
        }
    }

    /// Starts the document server and Tessera (in-process, router test) configured for CIMD and challenges.
    func withServers(
        policy: String? = firstSeenPolicy,
        allowLoopback: Bool = true,
        clock: TestClock = TestClock(),
        configure: @escaping @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (ClientMetadataDocumentServer, String, any TestClientProtocol) async throws -> Void
    ) async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            let app = try await TestServer.build(now: clock.closure) { configuration in
                configuration.issuer = Self.issuer
                configuration.clientMetadataDocumentsEnabled = true
                configuration.clientMetadata.allowHTTP = true
                configuration.clientMetadata.allowedScopes = ["payments", "read", "admin"]
                if allowLoopback { configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")!]) }
                configuration.clientChallenges.policy = policy
                configure(&configuration)
            }
            try await app.application.test(.live) { client in try await body(documents, base, client) }
        }
    }

    static func token(
        _ client: any TestClientProtocol,
        _ form: [(String, String)]
    ) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        let body = FormParameters(form).encoded
        return try await client.execute(uri: "/token", method: .post, headers: HTTPHelpers.form, body: ByteBuffer(string: body)) {
            response in
            (response.status, (try? HTTPHelpers.json(response.body)) ?? [:], response.headers)
        }
    }

    static func grant(_ agent: Agent, _ assertion: String, scope: String = "payments", extra: [(String, String)] = []) -> [(String, String)]
    {
        [
            ("grant_type", "client_credentials"), ("scope", scope), ("client_id", agent.id),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", assertion),
        ] + extra
    }

    // MARK: - Challenge and retry

    @Test func aFirstSeenAgentIsChallengedAndGetsATokenWithAttestation() async throws {
        let clock = TestClock()
        try await withServers(clock: clock) { documents, base, client in
            let agent = Agent(id: base + "/agents/a.json")
            documents.set("/agents/a.json", json: agent.document())
            let issuer = Self.issuer
            let (status, body, headers) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now))
            )
            #expect(status == .forbidden)
            #expect(headers[.cacheControl] == "no-store")
            #expect(body["error"] as? String == "insufficient_client_authorization")
            let session = try #require(body["challenge_session"] as? String)
            #expect(body["expires_in"] as? Int == 300)
            let requirement = try #require(body["authorization_requirement"] as? [String: Any])
            #expect(requirement["type"] as? String == Self.attestation)
            #expect(requirement["challenge_session"] as? String == session)
            let nonce = try #require(requirement["nonce"] as? String)

            let evidence = try await agent.attestation(issuer: issuer, nonce: nonce, now: clock.now)
            let retry = Self.grant(
                agent,
                try await agent.assertion(issuer: issuer, now: clock.now),
                extra: [("challenge_session", session), ("challenge_evidence", evidence)]
            )
            let (okStatus, okBody, _) = try await Self.token(client, retry)
            #expect(okStatus == .ok, "\(okBody)")
            let token = try #require(okBody["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
            #expect(claims.clientID == agent.id && claims.scope == "payments")

            // The session is single use.
            let replay = Self.grant(
                agent,
                try await agent.assertion(issuer: issuer, now: clock.now),
                extra: [("challenge_session", session), ("challenge_evidence", evidence)]
            )
            let (replayStatus, replayBody, _) = try await Self.token(client, replay)
            #expect(replayStatus == .badRequest)
            #expect(replayBody["error"] as? String == "unauthorized_client")
            #expect((replayBody["error_description"] as? String)?.contains("already used") == true)

            #expect(documents.fetchCount("/agents/a.json") == 1, "the document is cached between requests")

            // Ten minutes later the agent is no longer new: no challenge. The cache (300 s without
            // Cache-Control) has expired, so the document is fetched again; first sight is kept.
            clock.advance(by: 601)
            let (laterStatus, _, _) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now))
            )
            #expect(laterStatus == .ok)
            #expect(documents.fetchCount("/agents/a.json") == 2)
        }
    }

    /// Opens a challenge and returns its session and nonce.
    static func openChallenge(
        _ client: any TestClientProtocol,
        _ agent: Agent,
        issuer: String,
        now: Date,
        scope: String = "payments",
        extra: [(String, String)] = []
    ) async throws -> (String, String) {
        let (status, body, _) = try await token(
            client,
            grant(agent, try await agent.assertion(issuer: issuer, now: now), scope: scope, extra: extra)
        )
        #expect(status == .forbidden, "\(body)")
        let session = try #require(body["challenge_session"] as? String)
        let requirement = try #require(body["authorization_requirement"] as? [String: Any])
        return (session, try #require(requirement["nonce"] as? String))
    }

    @Test func badRetriesAreRefused() async throws {
        let clock = TestClock()
        try await withServers(clock: clock) { documents, base, client in
            let agent = Agent(id: base + "/agents/a.json")
            let other = Agent(id: base + "/agents/b.json")
            documents.set("/agents/a.json", json: agent.document())
            documents.set("/agents/b.json", json: other.document())
            let issuer = Self.issuer

            func retry(_ who: Agent, session: String, evidence: String, scope: String = "payments") async throws -> String {
                let form = Self.grant(
                    who,
                    try await who.assertion(issuer: issuer, now: clock.now),
                    scope: scope,
                    extra: [("challenge_session", session), ("challenge_evidence", evidence)]
                )
                let (status, body, _) = try await Self.token(client, form)
                #expect(status == .badRequest)
                #expect(body["error"] as? String == "unauthorized_client")
                return body["error_description"] as? String ?? ""
            }

            var (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            #expect(
                try await retry(
                    agent,
                    session: session,
                    evidence: try await agent.attestation(issuer: issuer, nonce: "wrong", now: clock.now)
                ).contains("nonce")
            )

            (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            #expect(
                try await retry(
                    agent,
                    session: session,
                    evidence: try await agent.attestation(issuer: issuer, nonce: nonce, now: clock.now),
                    scope: "read"
                ).contains("differs")
            )

            (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            #expect(
                try await retry(
                    other,
                    session: session,
                    evidence: try await other.attestation(issuer: issuer, nonce: nonce, now: clock.now)
                ).contains("another client")
            )
            // ...and did not burn it: the rightful client's retry (with a request that differs) is judged on its own.
            #expect(
                try await retry(
                    agent,
                    session: session,
                    evidence: try await agent.attestation(issuer: issuer, nonce: nonce, now: clock.now),
                    scope: "read"
                ).contains("differs")
            )

            (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            #expect(
                try await retry(
                    agent,
                    session: session,
                    evidence: try await other.attestation(issuer: issuer, nonce: nonce, now: clock.now)
                ).contains("neither")
            )

            (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            clock.advance(by: 301)
            #expect(
                try await retry(
                    agent,
                    session: session,
                    evidence: try await agent.attestation(issuer: issuer, nonce: nonce, now: clock.now)
                ).contains("expired")
            )

            #expect(try await retry(agent, session: "forged", evidence: "x.y.z").contains("not one this server issued"))
        }
    }

    @Test func aClientThatDoesNotSupportChallengesIsRefusedAndPolicyDeniesAdmin() async throws {
        let clock = TestClock()
        try await withServers(clock: clock) { documents, base, client in
            let agent = Agent(id: base + "/agents/legacy.json")
            documents.set("/agents/legacy.json", json: agent.document(supportsChallenges: false))
            let issuer = Self.issuer
            let (status, body, _) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now))
            )
            #expect(status == .badRequest)
            #expect(body["error"] as? String == "unauthorized_client")
            #expect((body["error_description"] as? String)?.contains("insufficient_client_authorization_supported") == true)

            clock.advance(by: 601)
            let (adminStatus, adminBody, _) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now), scope: "admin")
            )
            #expect(adminStatus == .badRequest)
            #expect((adminBody["error_description"] as? String)?.contains("never delegated") == true)
        }
    }

    @Test func aHighValuePaymentNeedsTheUsersMandate() async throws {
        let clock = TestClock()
        let home = Agent(id: "https://home-as.example")
        let policy = """
            @challenge("\(Self.mandate)")
            forbid(principal, action, resource) when { context.largest_amount > 1000 };
            """
        let homeKeys = PublicJWKSet(keys: [home.publicJWK])
        try await withServers(
            policy: policy,
            clock: clock,
            configure: { configuration in
                configuration.clientChallenges.mandateIssuers = [.init(issuer: home.id, jwks: homeKeys)]
                configuration.authorizationDetailsTypes = [
                    AuthorizationDetailsTypeDefinition(type: "payment_initiation", requiredMembers: ["instructedAmount"])
                ]
            }
        ) { documents, base, client in
            let agent = Agent(id: base + "/agents/payer.json")
            documents.set("/agents/payer.json", json: agent.document())
            let issuer = Self.issuer
            let details = #"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"2500.00"}}]"#
            let small = #"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"12.00"}}]"#
            let (smallStatus, _, _) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now), extra: [("authorization_details", small)])
            )
            #expect(smallStatus == .ok)

            let form = Self.grant(
                agent,
                try await agent.assertion(issuer: issuer, now: clock.now),
                extra: [("authorization_details", details)]
            )
            let (status, body, _) = try await Self.token(client, form)
            #expect(status == .forbidden)
            let requirement = try #require(body["authorization_requirement"] as? [String: Any])
            #expect(requirement["type"] as? String == Self.mandate)
            #expect(requirement["issuers"] as? [String] == [home.id])
            let session = try #require(body["challenge_session"] as? String)
            let nonce = try #require(requirement["nonce"] as? String)
            let mandate = try await home.sign([
                "iss": .string(home.id), "sub": .string("alice"), "aud": .string(issuer), "client_id": .string(agent.id),
                "scope": .string("payments"), "nonce": .string(nonce), "jti": .string(UUID().uuidString),
                "iat": .number(clock.now.timeIntervalSince1970), "exp": .number(clock.now.timeIntervalSince1970 + 60),
                // The mandate covers the request's details (RFC 9396 §7; review round 10, H3).
                "authorization_details": try JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)),
            ])
            let retry = Self.grant(
                agent,
                try await agent.assertion(issuer: issuer, now: clock.now),
                extra: [("authorization_details", details), ("challenge_session", session), ("challenge_evidence", mandate)]
            )
            let (okStatus, okBody, _) = try await Self.token(client, retry)
            #expect(okStatus == .ok, "\(okBody)")
        }
    }

    // MARK: - Metadata documents that must not be used

    @Test func unusableMetadataDocumentsAreRefusedAndNotCached() async throws {
        let clock = TestClock()
        try await withServers(policy: nil, clock: clock) { documents, base, client in
            let issuer = Self.issuer
            func refusal(_ path: String, _ reply: ClientMetadataDocumentServer.Reply) async throws -> String {
                documents.set(path, reply)
                let agent = Agent(id: base + path)
                let (status, body, _) = try await Self.token(
                    client,
                    Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now))
                )
                #expect(status == .unauthorized, "\(path): \(body)")
                #expect(body["error"] as? String == "invalid_client")
                return body["error_description"] as? String ?? ""
            }
            let wrongID = Agent(id: base + "/wrong.json").document(clientID: "https://elsewhere.example/wrong.json")
            #expect(try await refusal("/wrong.json", .init(body: wrongID)).contains("client_id"))
            #expect(
                try await refusal("/moved.json", .init(status: .found, headers: [.location: base + "/a.json"], body: "")).contains(
                    "redirect"
                )
            )
            #expect(
                try await refusal(
                    "/huge.json",
                    .init(body: Agent(id: base + "/huge.json").document(extra: #", "pad": "\#(String(repeating: "x", count: 6000))""#))
                ).contains("larger")
            )
            #expect(try await refusal("/broken.json", .init(status: .internalServerError, body: "{}")).contains("HTTP 500"))
            let secret = #"{"client_id": "\#(base)/secret.json", "token_endpoint_auth_method": "client_secret_basic"}"#
            #expect(try await refusal("/secret.json", .init(body: secret)).contains("shared secrets"))
            #expect(documents.fetchCount("/broken.json") == 1)
            _ = try await refusal("/broken.json", .init(status: .internalServerError, body: "{}"))
            #expect(documents.fetchCount("/broken.json") == 2, "errors are never cached")
        }
    }

    @Test func loopbackIsRefusedUnlessAllowListed() async throws {
        let clock = TestClock()
        try await withServers(
            policy: nil,
            allowLoopback: false,
            clock: clock,
            configure: { configuration in
                // allow_http needs an allow-list; give one that does not cover loopback.
                configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("192.0.2.1/32")!])
            }
        ) { documents, base, client in
            let agent = Agent(id: base + "/agents/a.json")
            documents.set("/agents/a.json", json: agent.document())
            let issuer = Self.issuer
            let (status, body, _) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: issuer, now: clock.now))
            )
            #expect(status == .unauthorized)
            #expect((body["error_description"] as? String)?.contains("special-use") == true, "\(body)")
            #expect(documents.fetchCount("/agents/a.json") == 0, "nothing was fetched")
        }
    }

    @Test func aRegisteredClientsJWKSURIIsFetchedUnderTheSameGuard() async throws {
        let clock = TestClock()
        let agent = Agent(id: "remote-keys")
        for allowed in [false, true] {
            let documents = ClientMetadataDocumentServer()
            try await documents.run { base in
                documents.set(
                    "/keys.json",
                    json: String(decoding: try JSONEncoder().encode(PublicJWKSet(keys: [agent.publicJWK])), as: UTF8.self)
                )
                let app = try await TestServer.build(now: clock.closure) { configuration in
                    configuration.issuer = Self.issuer
                    if allowed { configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")!]) }
                    configuration.clients.append(
                        ClientDefinition(
                            id: "remote-keys",
                            auth: "private_key_jwt",
                            jwksURI: base + "/keys.json",
                            grantTypes: ["client_credentials"],
                            scopes: "read"
                        )
                    )
                }
                try await app.application.test(.live) { client in
                    let (status, body, _) = try await Self.token(
                        client,
                        Self.grant(agent, try await agent.assertion(issuer: Self.issuer, now: clock.now), scope: "read")
                    )
                    if allowed {
                        #expect(status == .ok, "\(body)")
                        #expect(documents.fetchCount("/keys.json") == 1)
                    } else {
                        #expect(status == .unauthorized)
                        #expect((body["error_description"] as? String)?.contains("special-use") == true, "\(body)")
                        #expect(documents.fetchCount("/keys.json") == 0)
                    }
                }
            }
        }
    }

    @Test func metadataAdvertisesClientIDMetadataDocuments() async throws {
        try await withServers(policy: nil) { _, _, client in
            let body = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) {
                try HTTPHelpers.json($0.body)
            }
            #expect(body["client_id_metadata_document_supported"] as? Bool == true)
        }
    }
}
