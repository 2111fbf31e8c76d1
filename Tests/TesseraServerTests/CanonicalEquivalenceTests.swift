import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A right spelled with canonically equivalent but different code points is refused at both doors.
///
/// Swift's `String ==`, `Set` and `Dictionary` treat canonically equivalent strings as equal (`"\u{212A}"`, KELVIN SIGN,
/// equals `"K"`; `"e\u{301}"` equals `"é"`), while Cedar compares bytes, as RFC 8259 §8.3 compares JSON strings.
/// Before the fix, `"\u{212A}YC"` passed every Swift check as the configured type `KYC` and slipped past the owner's
/// `forbid` on `Scope::"KYC"`, and a GNAP resource server asking about `Kontakte` was told about `\u{212A}ontakte`.
/// Every string a request carries must now be in Unicode Normalization Form C, where equivalence is identity.
@Suite struct CanonicalEquivalenceTests {
    static let issuer = "https://as.equivalence.example"
    /// KELVIN SIGN: canonically equivalent to `K` (its NFC form), a different byte sequence.
    static let kelvinYC = "\u{212A}YC"
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    static let policy = """
        @id("no-kyc")
        forbid (principal, action, resource == Scope::"KYC");
        """

    func app() async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let owner = try OwnerPolicy(text: Self.policy, source: "owner.cedar")
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.issuer = Self.issuer
            configuration.policy = owner
            configuration.clients =
                TestClients.definitions + [
                    ClientDefinition(
                        id: "agent-1",
                        auth: "client_secret_basic",
                        secret: TestClients.secret,
                        grantTypes: ["client_credentials"],
                        scopes: "read"
                    )
                ]
            configuration.authorizationDetailsTypes = [
                AuthorizationDetailsTypeDefinition(type: "KYC"), AuthorizationDetailsTypeDefinition(type: "Kontakte"),
            ]
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Agent", allowedAccess: ["read", "KYC", "Kontakte"], allowBearer: true)
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.issuer])]
        }
    }

    static func details(_ entries: [[String: Any]]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys]), as: UTF8.self)
    }

    /// RFC 9396 §2 at `/token`: the type is an exact string, so the equivalent spelling is refused as malformed
    /// (`invalid_authorization_details`), whether it arrives raw or as a `\u` escape, in `type` or in any member.
    @Test(arguments: [
        #"[{"type":"\u212aYC"}]"#,
        try details([["type": kelvinYC]]),
        try details([["type": "Kontakte", "actions": ["cre\u{301}er"]]]),
        try details([["type": "Kontakte", "Ko\u{308}nig": "x"]]),
    ])
    func aNonNFCAuthorizationDetailIsRefusedAtTheOAuthDoor(_ text: String) async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let (status, body) = try await TokenLedgerTests.form(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", text)],
                id: "agent-1"
            )
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_authorization_details", "\(body)")
        }
    }

    /// The control: the owner's forbid on the NFC spelling holds, and a permitted NFC type is granted.
    @Test func theNFCSpellingsAreDecidedAsBefore() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let (forbidden, refusal) = try await TokenLedgerTests.form(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", try Self.details([["type": "KYC"]]))],
                id: "agent-1"
            )
            #expect(forbidden == .badRequest)
            #expect(refusal["error"] as? String == "invalid_authorization_details")
            let (granted, body) = try await TokenLedgerTests.form(
                client,
                "/token",
                [
                    ("grant_type", "client_credentials"),
                    ("authorization_details", try Self.details([["type": "Kontakte", "actions": ["créer"]]])),
                ],
                id: "agent-1"
            )
            #expect(granted == .ok, "\(body)")
        }
    }

    /// Form parameters are text the server compares too (`resource`, `audience`, …): a value not in NFC is
    /// `invalid_request` (RFC 6749 §5.2) before any of them is read.
    @Test func aNonNFCFormValueIsRefused() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let (status, body) = try await TokenLedgerTests.form(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("scope", "read"), ("audience", "https://as.equivalence.example/\u{212A}")],
                id: "agent-1"
            )
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_request", "\(body)")
        }
    }

    /// RFC 9635 §8 at the grant endpoint: an access right spelled `\u{212A}YC` (as an object type or a reference)
    /// is `invalid_request`, not a right the owner's forbid on `KYC` misses.
    @Test(arguments: [
        GNAPAccessRight.object(GNAPAccessObject(type: kelvinYC, actions: ["read"])),
        GNAPAccessRight.reference(kelvinYC),
        GNAPAccessRight.object(GNAPAccessObject(type: "Kontakte", actions: ["cre\u{301}er"])),
    ])
    func aNonNFCAccessRightIsRefusedAtTheGNAPDoor(_ right: GNAPAccessRight) async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let body = try GNAPEndpointTests.grantBody(
                client: .instance("agent-1"),
                tokens: .single(GNAPTokenRequest(access: [right], flags: ["bearer"]))
            )
            let answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(answer.status == .badRequest, "\(answer.json)")
            #expect(GNAPEndpointTests.errorCode(answer.json) == "invalid_request", "\(answer.json)")
        }
    }

    /// The control at the GNAP door: the NFC spelling meets the owner's forbid.
    @Test func theOwnersForbidHoldsForTheNFCSpellingAtTheGNAPDoor() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let body = try GNAPEndpointTests.grantBody(
                client: .instance("agent-1"),
                tokens: .single(GNAPTokenRequest(access: [.reference("KYC")], flags: ["bearer"]))
            )
            let answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(answer.status != .ok, "\(answer.json)")
            #expect(answer.json["access_token"] == nil, "\(answer.json)")
        }
    }

    /// RFC 9767 §3.3: a resource server asking about `\u{212A}ontakte` is refused, not told a token for
    /// `Kontakte` is active for it (nor the other way round).
    @Test func aNonNFCIntrospectionQuestionIsRefused() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let body = try GNAPEndpointTests.grantBody(
                client: .instance("agent-1"),
                tokens: .single(GNAPTokenRequest(access: [.reference("Kontakte")], flags: ["bearer"]))
            )
            let grant = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(grant.status == .ok, "\(grant.json)")
            let token = try #require((grant.json["access_token"] as? [String: Any])?["value"] as? String, "\(grant.json)")

            func introspect(_ access: String) async throws -> GNAPEndpointTests.Exchange {
                let request = GNAPIntrospectionRequest(
                    accessToken: token,
                    proof: nil,
                    resourceServer: .instance("rs-1"),
                    access: [.reference(access)]
                )
                return try await GNAPEndpointTests.send(
                    client,
                    app,
                    rs,
                    method: .post,
                    path: "/gnap/introspect",
                    body: try GNAPTestSigner.body(request)
                )
            }
            let asked = try await introspect("\u{212A}ontakte")
            #expect(asked.status == .badRequest, "\(asked.json)")
            #expect(GNAPEndpointTests.errorCode(asked.json) == "invalid_request", "\(asked.json)")
            let exact = try await introspect("Kontakte")
            #expect(exact.json["active"] as? Bool == true, "\(exact.json)")
        }
    }
}
