import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Client authentication attacks, run against the engine the server uses.
@Suite struct ClientAuthenticatorTests {
    let now = Fixtures.epoch

    func engine() async throws -> GrantEngine {
        let epoch = now
        return try await TestServer.build(now: { epoch }).engine
    }

    func authenticate(_ engine: GrantEngine, _ credentials: ClientCredentials) async throws -> AuthenticatedClient {
        try await engine.authenticator.authenticate(credentials, allowPublic: false)
    }

    @Test func acceptsTheRightSecretAndRefusesAWrongOne() async throws {
        let engine = try await engine()
        let client = try await authenticate(engine, .basic(clientID: TestClients.secretClientID, secret: TestClients.secret))
        #expect(client.method == .clientSecretBasic)
        await #expect(throws: OAuthError.invalidClient("")) {
            try await authenticate(engine, .basic(clientID: TestClients.secretClientID, secret: TestClients.secret + "x"))
        }
        await #expect(throws: OAuthError.invalidClient("")) {
            try await authenticate(engine, .basic(clientID: "nobody", secret: TestClients.secret))
        }
    }

    @Test(.bug(id: 12, "client_id with NUL authenticated as the id before the NUL"))
    func refusesClientIDsNoClientCanHave() async throws {
        let engine = try await engine()
        let id = TestClients.secretClientID
        for presented in [id + "\u{0}", id + "\u{0}x", id + " ", "\u{FF56}" + id.dropFirst(), ""] {
            await #expect(throws: OAuthError.invalidClient("")) {
                try await authenticate(engine, .basic(clientID: presented, secret: TestClients.secret))
            }
        }
        let assertion = try await TestClients.assertion(audience: engine.configuration.issuer, now: now, jti: "nul-claimed-id")
        await #expect(throws: OAuthError.invalidClient("")) {
            try await authenticate(engine, .assertion(clientID: TestClients.jwtClientID + "\u{0}", assertion: assertion))
        }
        #expect(try await authenticate(engine, .basic(clientID: id, secret: TestClients.secret)).id == id)
    }

    @Test func refusesASecretSentWithTheWrongMethod() async throws {
        let engine = try await engine()
        await #expect(throws: OAuthError.invalidClient("")) {
            try await authenticate(engine, .post(clientID: TestClients.secretClientID, secret: TestClients.secret))
        }
    }

    @Test func acceptsAValidClientAssertionOnce() async throws {
        let engine = try await engine()
        let assertion = try await TestClients.assertion(audience: engine.configuration.issuer, now: now, jti: "once")
        let client = try await authenticate(engine, .assertion(clientID: nil, assertion: assertion))
        #expect(client.id == TestClients.jwtClientID)
        await #expect(throws: OAuthError.invalidClient("")) {
            try await authenticate(engine, .assertion(clientID: nil, assertion: assertion))
        }
    }

    /// Outside review round 10, H9 (draft-ietf-oauth-rfc7523bis, "audience injection"): the issuer must be
    /// the assertion's only audience. An assertion made for the token endpoint URL (which another AS can
    /// advertise as its own) or for several parties could have been relayed here.
    @Test func refusesTheTokenEndpointOrASecondPartyAsAudience() async throws {
        let engine = try await engine()
        let issuer = engine.configuration.issuer
        let relayed = [
            try await TestClients.assertion(audience: engine.configuration.tokenEndpoint, now: now),
            try await TestClients.assertion(audience: issuer, now: now, alsoAddressedTo: ["https://other-as.example"]),
            try await TestClients.assertion(audience: issuer, now: now, alsoAddressedTo: [engine.configuration.tokenEndpoint]),
        ]
        for assertion in relayed {
            await #expect(throws: OAuthError.invalidClient("")) {
                try await authenticate(engine, .assertion(clientID: TestClients.jwtClientID, assertion: assertion))
            }
        }
        let direct = try await TestClients.assertion(audience: issuer, now: now)
        #expect(
            try await authenticate(engine, .assertion(clientID: TestClients.jwtClientID, assertion: direct)).id == TestClients.jwtClientID
        )
    }

    @Test func refusesAssertionAttacks() async throws {
        let engine = try await engine()
        let issuer = engine.configuration.issuer
        let attacks: [(String, String)] = [
            ("expired", try await TestClients.assertion(audience: issuer, now: now.addingTimeInterval(-3600))),
            ("wrong audience", try await TestClients.assertion(audience: "https://other-as.example", now: now)),
            ("sub differs from iss", try await TestClients.assertion(audience: issuer, now: now, sub: "someone-else")),
            ("no jti", try await TestClients.assertion(audience: issuer, now: now, jti: nil)),
            ("lifetime too long", try await TestClients.assertion(audience: issuer, now: now, lifetime: 86_400)),
            ("unknown kid", try await TestClients.assertion(audience: issuer, now: now, kid: "other-key")),
            ("access token typ", try await TestClients.assertion(audience: issuer, now: now, typ: "at+jwt")),
            ("unknown client", try await TestClients.assertion(audience: issuer, now: now, iss: "ghost", sub: "ghost")),
            ("alg none", Self.unsigned(#"{"alg":"none"}"#, issuer: issuer, now: now)),
            ("HS256", Self.unsigned(#"{"alg":"HS256","kid":"client-key-1"}"#, issuer: issuer, now: now, signature: "c2lnbmF0dXJl")),
        ]
        for (name, assertion) in attacks {
            await #expect(throws: OAuthError.invalidClient(""), "\(name)") {
                try await authenticate(engine, .assertion(clientID: nil, assertion: assertion))
            }
        }
    }

    @Test func refusesAPublicClientWhereConfidentialIsRequired() async throws {
        let engine = try await engine()
        await #expect(throws: OAuthError.invalidClient("")) {
            try await authenticate(engine, .clientIDOnly(TestClients.publicClientID))
        }
        let allowed = try await engine.authenticator.authenticate(.clientIDOnly(TestClients.publicClientID), allowPublic: true)
        #expect(allowed.method == .none)
    }

    static func unsigned(_ header: String, issuer: String, now: Date, signature: String = "") -> String {
        let claims =
            #"{"iss":"service-jwt","sub":"service-jwt","aud":"\#(issuer)","exp":\#(Int(now.timeIntervalSince1970) + 60),"jti":"\#(UUID().uuidString)"}"#
        return TestClients.base64url(Data(header.utf8)) + "." + TestClients.base64url(Data(claims.utf8)) + "." + signature
    }
}
