import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// RFC 8707 §2.2 at the token endpoint: a `resource` sent with an authorization code must be one the authorization
/// request named (the token is then for it alone), and with a refresh token one of the family's audiences; any other
/// is `invalid_target`, never ignored.
@Suite struct AuthorizationCodeResourceTests {
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()
    static let a = "https://a.example/api"
    static let b = "https://b.example/api"
    static let other = "https://other.example/api"
    static var webBasic: String { TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret) }

    /// Redeems the code a redirect carries, with `resources` at the token endpoint.
    static func redeem(
        _ client: any TestClientProtocol,
        _ location: String,
        resources: [String]
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        let code = try #require(Flow.query(location)["code"], "\(location)")
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.callback), ("code_verifier", Flow.verifier),
        ]
        form += resources.map { ("resource", $0) }
        return try await Flow.token(client, form, auth: webBasic)
    }

    static func audience(_ body: [String: Any]) throws -> [String] {
        let token = try #require(body["access_token"] as? String, "\(body)")
        return try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload).aud.values
    }

    @Test func aResourceTheAuthorizationRequestDidNotNameIsInvalidTarget() async throws {
        let app = try await TestServer.build(now: clock.closure, configure: Flow.configure)
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let both = Flow.authorizeURI(scope: "read", extra: [("resource", Self.a), ("resource", Self.b)])

            let (refused, error) = try await Self.redeem(client, try await Flow.approve(browser, both), resources: [Self.other])
            #expect(refused == .badRequest, "a code for \(Self.a) and \(Self.b) was redeemed for \(Self.other): \(error)")
            #expect(error["error"] as? String == "invalid_target", "\(error)")

            // A code approved without a resource is for the default audience only.
            let unnamed = try await Flow.approve(browser, Flow.authorizeURI(scope: "read"))
            let (unnamedStatus, unnamedError) = try await Self.redeem(client, unnamed, resources: [Self.b])
            #expect(unnamedStatus == .badRequest && unnamedError["error"] as? String == "invalid_target", "\(unnamedError)")

            // One of the approved resources: the access token is for it alone, the refresh token keeps both.
            let (status, body) = try await Self.redeem(client, try await Flow.approve(browser, both), resources: [Self.a])
            #expect(status == .ok, "\(body)")
            #expect(try Self.audience(body) == [Self.a])
            let refresh = try #require(body["refresh_token"] as? String)
            let (otherStatus, otherError) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("resource", Self.other)],
                auth: Self.webBasic
            )
            #expect(otherStatus == .badRequest && otherError["error"] as? String == "invalid_target", "\(otherError)")
            let (refreshed, forB) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("resource", Self.b)],
                auth: Self.webBasic
            )
            #expect(refreshed == .ok, "the refresh token keeps every approved resource: \(forB)")
            #expect(try Self.audience(forB) == [Self.b])
        }
    }

    @Test func aCodeRedeemedForItsResourcesOrWithoutOneKeepsThem() async throws {
        let app = try await TestServer.build(now: clock.closure, configure: Flow.configure)
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let both = Flow.authorizeURI(scope: "read", extra: [("resource", Self.a), ("resource", Self.b)])
            let (status, body) = try await Self.redeem(client, try await Flow.approve(browser, both), resources: [])
            #expect(status == .ok, "\(body)")
            #expect(try Self.audience(body) == [Self.a, Self.b])
            let (again, named) = try await Self.redeem(client, try await Flow.approve(browser, both), resources: [Self.b, Self.a])
            #expect(again == .ok, "\(named)")
            #expect(Set(try Self.audience(named)) == [Self.a, Self.b])
            let refresh = try #require(named["refresh_token"] as? String)
            let (refreshed, narrowed) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("resource", Self.b)],
                auth: Self.webBasic
            )
            #expect(refreshed == .ok, "\(narrowed)")
            #expect(try Self.audience(narrowed) == [Self.b])
        }
    }

    /// A refresh that names no `resource` still asks the owner's policy about the audience its token will have (the
    /// family's): a forbid on refreshing for `https://b.example/api` holds whether or not the request names it.
    @Test func aRefreshNamingNoResourceIsAskedAboutTheFamilysAudience() async throws {
        let owner = try OwnerPolicy(
            text:
                #"@id("no-refresh-for-b") forbid (principal, action == Action::"refresh", resource == Resource::"https://b.example/api");"#,
            source: "owner.cedar"
        )
        let app = try await TestServer.build(now: clock.closure) { configuration in configuration.policy = owner }
        try await app.application.test(.router) { client in
            let (status, body) = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=client_credentials&scope=read&resource=" + FormParameters.encode(Self.b)
            )
            #expect(status == .ok, "\(body)")
            let refresh = try #require(body["refresh_token"] as? String)
            let (named, namedError) = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=refresh_token&refresh_token=\(refresh)&resource=" + FormParameters.encode(Self.b)
            )
            #expect(named == .badRequest && namedError["error"] as? String == "invalid_target", "\(namedError)")
            let (unnamed, unnamedError) = try await OwnerPolicyDoorsTests.token(client, "grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(unnamed == .badRequest, "a refresh naming no resource got a token for \(Self.b): \(unnamedError)")
            #expect(unnamedError["error"] as? String == "invalid_target", "\(unnamedError)")
        }
    }
}
