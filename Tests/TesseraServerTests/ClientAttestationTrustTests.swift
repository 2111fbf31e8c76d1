import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 18 item 6: once the operator names attesters, a client's attestation of itself no longer counts.
extension ClientChallengeTests {
    @Test func selfSignedAttestationIsRefusedWhileAttestersAreConfigured() async throws {
        let clock = TestClock()
        let attester = Agent(id: "https://attester.test")
        try await withServers(
            clock: clock,
            configure: { configuration in
                configuration.clientChallenges.attesters = [.init(issuer: attester.id, jwks: PublicJWKSet(keys: [attester.publicJWK]))]
            }
        ) { documents, base, client in
            let agent = Agent(id: base + "/agents/a.json")
            documents.set("/agents/a.json", json: agent.document())
            let issuer = Self.issuer

            // The attack: the agent signs its own attestation with its registered key.
            var (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            let selfSigned = try await agent.attestation(issuer: issuer, nonce: nonce, now: clock.now)
            let form = Self.grant(
                agent,
                try await agent.assertion(issuer: issuer, now: clock.now),
                extra: [("challenge_session", session), ("challenge_evidence", selfSigned)]
            )
            let (status, body, _) = try await Self.token(client, form)
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "unauthorized_client")
            #expect(body["access_token"] == nil)

            // The configured attester's statement about the agent is accepted.
            (session, nonce) = try await Self.openChallenge(client, agent, issuer: issuer, now: clock.now)
            let now = clock.now.timeIntervalSince1970
            let attested = try await attester.sign([
                "iss": .string(attester.id), "sub": .string(agent.id), "aud": .string(issuer), "jti": .string(UUID().uuidString),
                "nonce": .string(nonce), "iat": .number(now), "exp": .number(now + 120),
            ])
            let retry = Self.grant(
                agent,
                try await agent.assertion(issuer: issuer, now: clock.now),
                extra: [("challenge_session", session), ("challenge_evidence", attested)]
            )
            let (okStatus, okBody, _) = try await Self.token(client, retry)
            #expect(okStatus == .ok, "\(okBody)")
        }
    }
}
