import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The OAuth door keeps a Cedar-profile right's `valid_for` window (docs/rar-cedar.md: "grant time + N seconds")
/// on every token derived from the grant: a refresh (RFC 6749 §6) carries the grant's details again and an exchange
/// (RFC 8693 §2.1) carries, or narrows, the subject token's; neither counts the window again from its own time
/// (draft-cecchetti-oauth-rar-cedar §7). The GNAP door's counterpart is ``GNAPCedarValidForTests``.
@Suite struct RichAuthorizationValidForTests {
    let clock = TestClock()
    static let tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

    @Test func aRefreshAndAnExchangeKeepTheGrantsWindow() async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.authorizationDetailsTypes = BankFixtures.detailTypes(validFor: 60)
            if let index = configuration.clients.firstIndex(where: { $0.id == TestClients.secretClientID }) {
                configuration.clients[index].grantTypes.append(Self.tokenExchange)
            }
        }
        let basic = TestClients.basicAuthorization()
        try await app.application.test(.router) { client in
            let (status, body) = try await RichAuthorizationTests.call(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("authorization_details", SeedFigures.json(SeedFigures.figure2))],
                auth: basic
            )
            #expect(status == .ok, "\(body)")
            let granted = try #require(RichAuthorizationTests.policySet(body["authorization_details"]))
            #expect(granted.contains("context.now < datetime("), "\(granted)")

            clock.advance(by: 30)
            let (refreshedStatus, refreshed) = try await RichAuthorizationTests.call(
                client,
                "/token",
                [("grant_type", "refresh_token"), ("refresh_token", try #require(body["refresh_token"] as? String))],
                auth: basic
            )
            #expect(refreshedStatus == .ok, "\(refreshed)")
            #expect(RichAuthorizationTests.policySet(refreshed["authorization_details"]) == granted, "a refresh keeps the window")

            clock.advance(by: 20)
            let (exchangedStatus, exchanged) = try await RichAuthorizationTests.call(
                client,
                "/token",
                [
                    ("grant_type", Self.tokenExchange), ("subject_token", try #require(refreshed["access_token"] as? String)),
                    ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
                ],
                auth: basic
            )
            #expect(exchangedStatus == .ok, "\(exchanged)")
            let token = try #require(exchanged["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
            guard case .object(let members)? = claims.authorizationDetails?.first else {
                Issue.record("no authorization_details in the exchanged token")
                return
            }
            #expect(members["policySet"]?.stringValue == granted, "an exchange keeps the window")
        }
    }
}
