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

/// Every audience a token will be accepted at is asked about (review round 11, J1 and J2; docs/policy.md,
/// `Resource::"…"`): a RAR entry's `locations` (RFC 9396 §2), which become the token's `aud` as a `resource` does,
/// and the audience a refreshed or exchanged token inherits from its parent, so an owner's `forbid` written since
/// the family began holds there too.
@Suite struct AudienceDecisionTests {
    static let payroll = "https://payroll.example/"
    static let files = "https://files.example/"
    static let neverPayroll = #"@id("never-payroll") forbid (principal, action, resource == Resource::"https://payroll.example/");"#
    let clock = TestClock()

    @discardableResult
    func withApp<Value: Sendable>(
        policy: String?,
        database: String = "sqlite::memory:",
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let owner = try policy.map { try OwnerPolicy(text: $0, source: "owner.cedar") }
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.database = database
            configuration.policy = owner
            configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "files")]
        }
        return try await app.application.test(.router) { client in try await body(client) }
    }

    static func details(_ location: String) -> String {
        let json = #"[{"type":"files","actions":["read"],"locations":["\#(location)"]}]"#
        return json.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? json
    }

    /// J1: the forbid refuses `resource=payroll`, and the same audience named as an entry's `locations` too.
    @Test func aForbiddenAudienceNamedAsARichEntrysLocationIsRefused() async throws {
        try await withApp(policy: Self.neverPayroll) { client in
            let named = try await OwnerPolicyDoorsTests.token(client, "grant_type=client_credentials&scope=read&resource=\(Self.payroll)")
            #expect(named.0 == .badRequest)
            #expect(named.1["error"] as? String == "invalid_target")
            let located = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=client_credentials&scope=read&authorization_details=\(Self.details(Self.payroll))"
            )
            #expect(located.0 == .badRequest, "\(located.1)")
            #expect(located.1["error"] as? String == "invalid_target")
            #expect((located.1["error_description"] as? String)?.contains("never-payroll") == true)
            // Another location is not forbidden: its token is for it.
            let allowed = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=client_credentials&scope=read&authorization_details=\(Self.details(Self.files))"
            )
            #expect(allowed.0 == .ok, "\(allowed.1)")
        }
    }

    /// J1, second path: an ID-JAG redeemed without `resource` gets the ID-JAG's `resource` as its audience, and the
    /// resource AS's forbid on that audience holds as it does when the request names it.
    @Test func anIDJAGRedeemedWithoutAResourceIsAskedAboutItsAudience() async throws {
        let atB = try OwnerPolicy(
            text: #"@id("no-mcp") forbid (principal, action == Action::"redeem", resource == Resource::"https://mcp.test/mcp");"#,
            source: "b.cedar"
        )
        let fixture = try await IDJAGEndpointTests.make(configureB: { $0.policy = atB })
        try await fixture.run { a, b in
            let grant = try await IDJAGEndpointTests.idJAG(a, fixture)
            let refused = try await IDJAGEndpointTests.redeem(b, grant, extra: [])
            #expect(refused.status == .badRequest, "\(refused.json)")
            #expect(refused.error == "invalid_target", "\(refused.json)")
            #expect(refused.description.contains("no-mcp"))
        }
    }

    /// J2: a refresh family for payroll, begun before the owner wrote the forbid, is refused at its next refresh,
    /// whether or not the request names the resource again.
    @Test func aRefreshIsAskedAboutTheAudienceItInherits() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audience-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let refreshToken = try await withApp(policy: nil, database: "sqlite:" + path) { client in
            let issued = try await OwnerPolicyDoorsTests.token(client, "grant_type=client_credentials&scope=read&resource=\(Self.payroll)")
            #expect(issued.0 == .ok, "\(issued.1)")
            return issued.1["refresh_token"] as? String
        }
        let token = try #require(refreshToken)
        try await withApp(policy: Self.neverPayroll, database: "sqlite:" + path) { client in
            let refreshed = try await OwnerPolicyDoorsTests.token(client, "grant_type=refresh_token&refresh_token=\(token)")
            #expect(refreshed.0 == .badRequest, "\(refreshed.1)")
            #expect(refreshed.1["error"] as? String == "invalid_target")
            #expect((refreshed.1["error_description"] as? String)?.contains("never-payroll") == true)
        }
    }

    /// J2: an exchange that names no target inherits its subject token's audience (RFC 8693 §2.1), and is asked
    /// about it: a forbid on exchanging for that audience holds without a `resource` or `audience` parameter.
    @Test func anExchangeIsAskedAboutTheAudienceItInherits() async throws {
        let atA = try OwnerPolicy(
            text:
                #"@id("no-exchange-for-files") forbid (principal, action == Action::"exchange", resource == Resource::"https://files.example/");"#,
            source: "a.cedar"
        )
        let fixture = try await ChainingFixture.make(configureA: { $0.policy = atA })
        try await fixture.run { a, _ in
            let issued = try await ChainingFixture.post(
                a,
                [("grant_type", "client_credentials"), ("scope", "read"), ("resource", Self.files)]
            )
            let subject = try #require(issued.json["access_token"] as? String, "\(issued.json)")
            let refused = try await ChainingFixture.exchange(a, subject: subject, extra: [])
            #expect(refused.status == .badRequest, "\(refused.json)")
            #expect(refused.error == "invalid_target", "\(refused.json)")
            #expect(refused.description.contains("no-exchange-for-files"))
        }
    }

    /// J2 at the GNAP door: token rotation (RFC 9635 §6.1) is asked about the audience the renewed token keeps, its
    /// rights' `locations`, as a refresh is.
    @Test func aGNAPRotationIsAskedAboutTheTokensAudience() async throws {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: Curve25519.Signing.PrivateKey(), now: clock.closure)
        let owner = try OwnerPolicy(
            text:
                #"@id("no-renewal-for-files") forbid (principal, action == Action::"refresh", resource == Resource::"https://files.example/");"#,
            source: "owner.cedar"
        )
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.gnap.instances = [.init(id: "agent-1", key: agent.key, allowedAccess: ["backup-api"])]
        }
        let right = GNAPAccessRight.object(GNAPAccessObject(type: "backup-api", actions: ["read"], locations: [Self.files]))
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [right])))
        try await app.application.test(.router) { client in
            let granted = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(granted.status == .ok, "\(granted.json)")
            let token = try #require(granted.json["access_token"] as? [String: Any], "\(granted.json)")
            let manage = try #require(token["manage"] as? [String: Any])
            let rotated = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: try GNAPRotationSubjectTests.path(manage["uri"], app),
                body: nil,
                token: GNAPRotationSubjectTests.tokenValue(manage["access_token"])
            )
            #expect(rotated.status == .forbidden, "\(rotated.json)")
            #expect(GNAPEndpointTests.errorCode(rotated.json) == GNAPError.Code.requestDenied.rawValue)
        }
    }

    /// K1 (review round 12): an RFC 9767 derived token carries its parent's audience when it names no `locations`, and
    /// is asked about it, not only about the deriving resource server's own audiences.
    @Test func aDerivedTokenIsAskedAboutTheAudienceItCarries() async throws {
        let tests = DerivedGNAPTokenAudienceTests()
        let rs1 = tests.rs1
        let owner = try OwnerPolicy(
            text:
                #"@id("rs1-never-archive") forbid (principal == Client::"rs-1", action, resource == Resource::"\#(DerivedGNAPTokenAudienceTests.archive)");"#,
            source: "owner.cedar"
        )
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs1.key, audiences: [DerivedGNAPTokenAudienceTests.backup])]
        }
        try await app.application.test(.router) { client in
            let form =
                "grant_type=client_credentials&scope=read&resource=\(DerivedGNAPTokenAudienceTests.backup)&resource=\(DerivedGNAPTokenAudienceTests.archive)"
            let parent = try #require(try await OwnerPolicyDoorsTests.token(client, form).1["access_token"] as? String)
            let derived = try await tests.derive(client, app, from: parent, access: [.reference("read")])
            #expect(derived.status == .forbidden, "\(derived.json)")
            #expect(GNAPEndpointTests.errorCode(derived.json) == GNAPError.Code.requestDenied.rawValue)
        }
    }

    /// K8 (review round 12): another spelling of a forbidden audience (RFC 3986 §6.2.2) is refused at both doors rather
    /// than asked about as another resource.
    @Test func anotherSpellingOfAnAudienceIsRefused() async throws {
        let spellings = [
            "https://PAYROLL.example/", "HTTPS://payroll.example/", "https://payroll.example:443/", "https://payroll.example./",
            "https://payroll.example/%7E/../",
            // Review round 13, L8: an empty path segment or an empty query.
            "https://payroll.example//", "https://payroll.example/?",
        ]
        try await withApp(policy: Self.neverPayroll) { client in
            for spelling in spellings {
                let named = try await OwnerPolicyDoorsTests.token(
                    client,
                    "grant_type=client_credentials&scope=read&resource=\(FormParameters.encode(spelling))"
                )
                #expect(named.0 == .badRequest, "\(spelling): \(named.1)")
                #expect(named.1["error"] as? String == "invalid_target")
                let located = try await OwnerPolicyDoorsTests.token(
                    client,
                    "grant_type=client_credentials&scope=read&authorization_details=\(Self.details(spelling))"
                )
                #expect(located.0 == .badRequest, "\(spelling): \(located.1)")
            }
        }
    }

    /// J7: a parameter sent twice is refused even when its first value is empty, which a front end taking the
    /// first occurrence reads as "no scope" (RFC 6749 §3.2).
    @Test func aRepeatedParameterWithAnEmptyFirstValueIsRefused() async throws {
        try await withApp(policy: nil) { client in
            for body in ["grant_type=client_credentials&scope=&scope=write", "grant_type=&grant_type=client_credentials"] {
                let answer = try await OwnerPolicyDoorsTests.token(client, body)
                #expect(answer.0 == .badRequest, "\(body): \(answer.1)")
                #expect(answer.1["error"] as? String == "invalid_request")
                #expect((answer.1["error_description"] as? String)?.contains("more than once") == true)
            }
        }
    }
}
