import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Cedar-profile access rights in GNAP access arrays: checked at request time, decided and
/// narrowed by the AS's delegation policies when the token is minted (seed 003 through GNAP).
@Suite struct GNAPCedarRightsTests {
    let clock = TestClock()
    let key = Curve25519.Signing.PrivateKey()

    func app() async throws -> TesseraApplication {
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: key, now: clock.closure)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.instances = [
                .init(id: "agent-1", key: signer.key, displayName: "Fintech agent", allowedAccess: ["payment_initiation"])
            ]
            configuration.authorizationDetailsTypes = BankFixtures.detailTypes(client: "agent-1")
        }
    }

    static func right(_ policySet: String) -> GNAPAccessRight {
        .object(GNAPAccessObject(type: "payment_initiation", extra: ["rarFormat": .string("cedar"), "policySet": .string(policySet)]))
    }

    @Test func cedarRightsAreNarrowedIntoTheToken() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: key, now: clock.closure)
        let figure2 = try SeedFigures.policySet(SeedFigures.figure2)
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [Self.right(figure2)])))
        try await app.application.test(.router) { client in
            let answer = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(answer.status == .ok, "\(answer.json)")
            let token = try #require(answer.json["access_token"] as? [String: Any])
            let value = try #require(token["value"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: value).payload)
            guard case .object(let granted)? = claims.access?.first, let text = granted.extra["policySet"]?.stringValue else {
                Issue.record("no Cedar right in the token")
                return
            }
            #expect(granted.extra["rarFormat"] == .string("cedar"))
            #expect(!text.contains("cancel"))
            #expect(try BankFixtures.allows(text, BankFixtures.payment()))
            #expect(try !BankFixtures.allows(text, BankFixtures.payment(action: "cancel")))
            let answered = try #require((token["access"] as? [[String: Any]])?.first?["policySet"] as? String)
            #expect(answered == text)
        }
    }

    @Test func malformedCedarRightsAreRefusedAtRequestTime() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: key, now: clock.closure)
        let cases: [(String, String)] = [
            ("permit (\n  principal,\n  action ==\n);", "Cedar syntax error at line 4"),
            (#"permit (principal == ?principal, action == BankA::Action::"initiate", resource);"#, "template slots cannot be granted"),
            (#"permit (principal, action == BankA::Action::"initiate", resource == Bank::"x");"#, "does not validate against the schema"),
        ]
        try await app.application.test(.router) { client in
            for (policySet, message) in cases {
                let body = try GNAPEndpointTests.grantBody(
                    client: .instance("agent-1"),
                    tokens: .single(.init(access: [Self.right(policySet)]))
                )
                let answer = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
                #expect(answer.status == .badRequest)
                #expect(GNAPEndpointTests.errorCode(answer.json) == "invalid_request")
                let description = (answer.json["error"] as? [String: Any])?["description"] as? String ?? ""
                #expect(description.contains(message), "\(description)")
            }
        }
    }
}
