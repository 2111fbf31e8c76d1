import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// An ID token of ours is a subject token for an ID-JAG only while the authorization it was issued under stands
/// (eighth review, F4): after the person withdrew the consent on /account, or the code was replayed (RFC 6749
/// §4.1.2, RFC 9700 §4.2.4: what was issued from it is revoked), the client kept minting ID-JAGs for the person from
/// the ID token of that grant until it expired. The ID token is now a ledger entry of the code's grant, so the
/// revocation that ends the grant's tokens ends it too (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3:
/// the IdP applies its policy when it asserts).
@Suite struct IDTokenGrantRevocationTests {
    typealias Flow = AuthorizationCodeFlowTests
    static let resourceAS = "https://ras.test"

    static func build() async throws -> TesseraApplication {
        try await TestServer.build(now: { Fixtures.epoch }) { configuration in
            Flow.configure(&configuration)
            for index in configuration.clients.indices where configuration.clients[index].id == Flow.web {
                configuration.clients[index].grantTypes.append(GrantType.tokenExchange.rawValue)
            }
            var peer = TrustConfiguration.Peer(name: "ras", issuer: resourceAS)
            var settings = IDJAGTrust()
            settings.clients = [Flow.web]
            settings.scopes = Scope(["read"])
            peer.idJAG = settings
            configuration.chaining.peers = [peer]
        }
    }

    /// `POST /token` for an ID-JAG from `idToken`, as the web client.
    static func requestIDJAG(_ client: any TestClientProtocol, _ idToken: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        let form = [
            ("grant_type", GrantType.tokenExchange.rawValue), ("requested_token_type", TokenTypeIdentifier.idJAG),
            ("audience", resourceAS), ("scope", "read"),
            ("subject_token", idToken), ("subject_token_type", TokenTypeIdentifier.idToken),
        ]
        return try await client.execute(
            uri: "/token",
            method: .post,
            headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)),
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) { ($0.status, (try? HTTPHelpers.json($0.body)) ?? [:]) }
    }

    /// Signs alice in, approves the default request and redeems the code.
    static func signedIn(_ client: any TestClientProtocol) async throws -> (Flow.Browser, String, [String: Any]) {
        let browser = Flow.Browser(client)
        try await browser.signIn()
        let code = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
        let (status, issued) = try await Flow.redeem(
            client,
            code: code,
            auth: TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
        )
        #expect(status == .ok, "\(issued)")
        return (browser, code, issued)
    }

    @Test func withdrawingTheConsentEndsTheIDTokensUseForIDJAGs() async throws {
        let app = try await Self.build()
        try await app.application.test(.router) { client in
            let (browser, _, issued) = try await Self.signedIn(client)
            let idToken = try #require(issued["id_token"] as? String)
            let (granted, body) = try await Self.requestIDJAG(client, idToken)
            #expect(granted == .ok, "\(body)")

            let account = try await browser.request("/account")
            let id = try #require(RememberedConsentTests.consentIDs(account.body).first)
            let withdrawn = try await browser.request(
                "/account/consents/\(id)/withdraw",
                method: .post,
                form: [("csrf", account.csrf ?? "")]
            )
            #expect(withdrawn.status == .ok)

            let (refused, after) = try await Self.requestIDJAG(client, idToken)
            #expect(refused == .badRequest, "\(after)")
            #expect(after["error"] as? String == "invalid_grant", "\(after)")
            #expect(after["access_token"] == nil)
        }
    }

    @Test func aReplayedCodeEndsTheIDTokensUseForIDJAGs() async throws {
        let app = try await Self.build()
        try await app.application.test(.router) { client in
            let (_, code, issued) = try await Self.signedIn(client)
            let idToken = try #require(issued["id_token"] as? String)
            let (replayed, replay) = try await Flow.redeem(
                client,
                code: code,
                auth: TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
            )
            #expect(replayed == .badRequest)
            #expect(replay["error"] as? String == "invalid_grant")

            let (refused, after) = try await Self.requestIDJAG(client, idToken)
            #expect(refused == .badRequest, "\(after)")
            #expect(after["error"] as? String == "invalid_grant", "\(after)")
        }
    }

    @Test func revokingTheRefreshTokenEndsTheIDTokensUseForIDJAGs() async throws {
        let app = try await Self.build()
        try await app.application.test(.router) { client in
            let (_, _, issued) = try await Self.signedIn(client)
            let idToken = try #require(issued["id_token"] as? String)
            let refresh = try #require(issued["refresh_token"] as? String)
            let revoked = try await client.execute(
                uri: "/revoke",
                method: .post,
                headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)),
                body: ByteBuffer(string: FormParameters([("token", refresh)]).encoded)
            ) { $0.status }
            #expect(revoked == .ok)
            let (refused, after) = try await Self.requestIDJAG(client, idToken)
            #expect(after["error"] as? String == "invalid_grant", "\(refused) \(after)")
        }
    }

    /// RFC 7009 §2.1 (the server revokes a token it issued, for the client it was issued to): `/revoke` of an ID token of
    /// ours ends its use as an identity assertion. Ninth review: this answered 200 and changed nothing, so the client
    /// kept minting ID-JAGs from it. Another client's revocation is refused (`unauthorized_client`) and ends nothing;
    /// the grant's access token stands, as only the ID token was revoked.
    @Test func revokingTheIDTokenEndsItsUseForIDJAGs() async throws {
        let app = try await Self.build()
        try await app.application.test(.router) { client in
            let (_, _, issued) = try await Self.signedIn(client)
            let idToken = try #require(issued["id_token"] as? String)
            let access = try #require(issued["access_token"] as? String)
            func revoke(as id: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                try await client.execute(
                    uri: "/revoke",
                    method: .post,
                    headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: id, secret: Flow.webSecret)),
                    body: ByteBuffer(string: FormParameters([("token", idToken)]).encoded)
                ) { ($0.status, (try? HTTPHelpers.json($0.body)) ?? [:]) }
            }
            let (foreign, refusal) = try await revoke(as: "push-only")
            #expect(foreign == .badRequest, "\(refusal)")
            #expect(refusal["error"] as? String == "unauthorized_client", "\(refusal)")
            #expect(try await Self.requestIDJAG(client, idToken).0 == .ok)

            #expect(try await revoke(as: Flow.web).0 == .ok)
            let (refused, after) = try await Self.requestIDJAG(client, idToken)
            #expect(refused == .badRequest, "\(after)")
            #expect(after["error"] as? String == "invalid_grant", "\(after)")
            #expect(after["access_token"] == nil)
            let userInfo = try await client.execute(uri: "/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"]) {
                $0.status
            }
            #expect(userInfo == .ok)
        }
    }
}
