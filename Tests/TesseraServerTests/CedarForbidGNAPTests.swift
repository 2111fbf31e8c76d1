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

/// Security review round 10, H1 and H6 at the GNAP door: the resource server enforces a token's Cedar rights
/// as one set, so a `forbid` in one right constrains the others. A modification without interaction (RFC 9635
/// §5.3), an RFC 9767 §4 derivation and a person's partial approval on the consent page (RFC 9635 §3.2:
/// less than asked, never more) each keep every such forbid. Each token is judged by the RS's enforcer.
@Suite struct CedarForbidGNAPTests {
    typealias D = CedarDocsFixtures
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    static let api = "https://api.example/"

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure) }
    var rs: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure) }

    /// A Cedar right of type `docs` at the API.
    static func right(_ policySet: String) -> GNAPAccessRight {
        .object(
            GNAPAccessObject(type: D.type, locations: [api], extra: ["rarFormat": .string("cedar"), "policySet": .string(policySet)])
        )
    }

    /// R1 (read and write on any document) and R2 (read "b"; no one writes on "secret").
    static let both = [right(D.readWriteAny), right(D.denySecret)]

    /// Everything but `metrics` waits for a person (alice signs in to the consent page); rs-1 serves the API. The
    /// agent may hold bearer tokens when `allowBearer`.
    func app(allowBearer: Bool = false) async throws -> TesseraApplication {
        let (agent, rs) = (agent, rs)
        return try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.gnap.continuationWait = 0
            configuration.gnap.instances = [
                .init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: ["metrics"], allowBearer: allowBearer)
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.api])]
            configuration.authorizationDetailsTypes += D.detailTypes()
        }
    }

    /// A grant for `access` waiting for a person; its interaction path, grant path and continuation token.
    func start(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ access: [GNAPAccessRight]
    ) async throws -> (interaction: String, grantPath: String, continuation: String) {
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: access)),
                client: .instance("agent"),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        let pending = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
        #expect(pending.status == .ok, "\(pending.json)")
        let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String)
        let cont = try #require(pending.json["continue"] as? [String: Any])
        return (
            String(redirect.dropFirst(app.engine.configuration.issuer.count)),
            try GNAPRotationSubjectTests.path(cont["uri"], app),
            try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
        )
    }

    /// alice decides on the consent page with `form` (besides csrf and digest); returns the page as shown.
    func decide(
        _ browser: Flow.Browser,
        _ interaction: String,
        _ form: [(String, String)]
    ) async throws -> Flow.Page {
        let page = try await browser.request(interaction)
        #expect(page.status == .ok, "\(page.body)")
        let digest = ConsentPagesTests.hidden(page.body, "rights_digest") ?? ""
        let decided = try await browser.request(
            interaction,
            method: .post,
            form: [("csrf", page.csrf ?? ""), ("rights_digest", digest)] + form
        )
        #expect(decided.status == .ok, "\(decided.body)")
        return page
    }

    /// Continues the grant; the answer.
    func poll(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ grantPath: String,
        _ continuation: String
    ) async throws -> GNAPEndpointTests.Exchange {
        try await GNAPEndpointTests.send(client, app, agent, method: .post, path: grantPath, body: nil, token: continuation)
    }

    /// The rights the issued token carries (its claims, as the RS reads them).
    static func access(_ answer: GNAPEndpointTests.Exchange) throws -> [GNAPAccessRight] {
        #expect(answer.status == .ok, "\(answer.json)")
        let value = try DerivedGNAPTokenBindingTests.value(answer)
        return try #require(try DerivedGNAPTokenBindingTests.claims(value).access)
    }

    /// Write on "secret" denied, write on "a" allowed.
    static func expectKeepsTheForbid(_ access: [GNAPAccessRight]) {
        #expect(!D.allows(gnap: access, "write", "secret"), "the token allows what was forbidden: \(access)")
        #expect(D.allows(gnap: access, "write", "a"), "\(access)")
    }

    @Test func aModificationWithoutInteractionAskingForOneRightKeepsTheOtherRightsForbid() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let grant = try await start(client, app, Self.both)
            let browser = Flow.Browser(client)
            try await browser.signIn()
            _ = try await decide(browser, grant.interaction, [("decision", "approve_all")])
            let first = try await poll(client, app, grant.grantPath, grant.continuation)
            Self.expectKeepsTheForbid(try Self.access(first))
            let next = try #require(GNAPRotationSubjectTests.tokenValue((first.json["continue"] as? [String: Any])?["access_token"]))
            // The client asks for R1 alone, without `interact`: within what alice approved, so not asked again.
            let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: .single(.init(access: [Self.both[0]]))))
            let modified = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .patch,
                path: grant.grantPath,
                body: patch,
                token: next
            )
            Self.expectKeepsTheForbid(try Self.access(modified))
        }
    }

    /// RFC 9767 §4: rs-1 derives a token for the next server from an OAuth token carrying both entries.
    @Test func aDerivedTokenAskingForOneEntryKeepsTheOtherEntrysForbid() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let form = FormParameters([
                ("grant_type", "client_credentials"), ("resource", Self.api),
                ("authorization_details", D.json([D.entry(D.readWriteAny), D.entry(D.denySecret)])),
            ])
            var headers = HTTPHelpers.form
            headers[.authorization] = TestClients.basicAuthorization()
            let parent = try await client.execute(uri: "/token", method: .post, headers: headers, body: ByteBuffer(string: form.encoded)) {
                try HTTPHelpers.json($0.body)
            }
            let existing = try #require(parent["access_token"] as? String, "\(parent)")
            let granted = D.entries(parent["authorization_details"])
            #expect(!D.allows(granted, "write", "secret"))
            guard case .object(let e1) = granted.first, let text = e1["policySet"]?.stringValue else {
                Issue.record("no granted entry: \(parent)")
                return
            }
            let wanted = GNAPAccessRight.object(
                GNAPAccessObject(type: D.type, extra: ["rarFormat": .string("cedar"), "policySet": .string(text)])
            )
            let request = GNAPGrantRequest(
                accessToken: .single(GNAPTokenRequest(access: [wanted])),
                client: .instance("rs-1"),
                existingAccessToken: existing
            )
            let derived = try await GNAPEndpointTests.send(
                client,
                app,
                rs,
                method: .post,
                path: "/gnap",
                body: try GNAPTestSigner.body(request)
            )
            Self.expectKeepsTheForbid(try Self.access(derived))
        }
    }

    /// H6: a forbid is a condition on what is shared, not a permission: the page offers no checkbox for it, and
    /// what the person approves keeps it (here the form leaves the forbid's key out, as the old page allowed).
    @Test func theConsentPageOffersNoCheckboxForAForbidAndApprovalKeepsIt() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let grant = try await start(client, app, [Self.right(D.readWriteAny + "\n" + D.denySecret)])
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let page = try await decide(
                browser,
                grant.interaction,
                [("decision", "approve"), ("right", "t0r0"), ("policy", "t0r0p0"), ("policy", "t0r0p1")]
            )
            #expect(page.body.contains("name=\"policy\" value=\"t0r0p0\""), "each permit is tickable")
            #expect(page.body.contains("name=\"policy\" value=\"t0r0p1\""), "the second permit is tickable")
            #expect(!page.body.contains("name=\"policy\" value=\"t0r0p2\""), "the forbid is not offered as a permission to untick")
            #expect(page.body.contains("id=\"fixed-t0r0p2\""), "the forbid is shown as a restriction that always applies")
            Self.expectKeepsTheForbid(try Self.access(try await poll(client, app, grant.grantPath, grant.continuation)))
        }
    }

    /// H6: unticking the right that holds the forbid keeps the forbid for the right kept.
    @Test func unTickingTheRightThatHoldsAForbidKeepsTheForbid() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let grant = try await start(client, app, Self.both)
            let browser = Flow.Browser(client)
            try await browser.signIn()
            _ = try await decide(browser, grant.interaction, [("decision", "approve"), ("right", "t0r0"), ("policy", "t0r0p0")])
            let access = try Self.access(try await poll(client, app, grant.grantPath, grant.continuation))
            Self.expectKeepsTheForbid(access)
        }
    }
}
