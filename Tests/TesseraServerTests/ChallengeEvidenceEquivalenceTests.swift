import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Challenge evidence is a third party's JWT (draft-kahrer-oauth-client-challenge-protocol §6): its `client_id`, `sub`
/// and `scope` bind it to one client and one request. Read with Swift's `==`, a mandate the user gave the client
/// `…/agents/\u{212A}.json` (KELVIN SIGN), another client byte for byte, answered the challenge of `…/agents/K.json`.
/// Its compared claims must now be NFC, as every peer JWT's are (``JWTClaimSet``).
extension ClientChallengeTests {
    @Test func aMandateForALookAlikeClientDoesNotAnswerTheChallenge() async throws {
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
            let agent = Agent(id: base + "/agents/K.json")
            documents.set("/agents/K.json", json: agent.document())
            let details = #"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"2500.00"}}]"#
            func retry(mandatedClient: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let (session, nonce) = try await Self.openChallenge(
                    client,
                    agent,
                    issuer: Self.issuer,
                    now: clock.now,
                    extra: [("authorization_details", details)]
                )
                let mandate = try await home.sign([
                    "iss": .string(home.id), "sub": .string("alice"), "aud": .string(Self.issuer), "client_id": .string(mandatedClient),
                    "scope": .string("payments"), "nonce": .string(nonce), "jti": .string(UUID().uuidString),
                    "iat": .number(clock.now.timeIntervalSince1970), "exp": .number(clock.now.timeIntervalSince1970 + 60),
                    "authorization_details": try JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)),
                ])
                let form = Self.grant(
                    agent,
                    try await agent.assertion(issuer: Self.issuer, now: clock.now),
                    extra: [("authorization_details", details), ("challenge_session", session), ("challenge_evidence", mandate)]
                )
                let (status, body, _) = try await Self.token(client, form)
                return (status, body)
            }
            let (status, body) = try await retry(mandatedClient: base + "/agents/\u{212A}.json")
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "unauthorized_client", "\(body)")
            #expect((body["error_description"] as? String ?? "").contains("'client_id' claim"), "\(body)")
            #expect(body["access_token"] == nil)
            // The control: a mandate for this client answers the challenge.
            let (okStatus, okBody) = try await retry(mandatedClient: agent.id)
            #expect(okStatus == .ok, "\(okBody)")
        }
    }
}
