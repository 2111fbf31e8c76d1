import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A `challenge_session` is spent by evidence that verifies, not by any retry: a party that cannot produce the
/// evidence (junk, a stranger's signature, a replayed old attestation) cannot burn the client's session, while
/// evidence that verifies ends it even when the policy then still refuses (draft-kahrer-oauth-client-challenge-protocol-00 §4, §8.2).
@Suite struct ClientChallengeSessionTests {
    typealias Challenge = ClientChallengeTests
    typealias Agent = ClientChallengeTests.Agent
    static let issuer = Challenge.issuer

    /// A retry whose evidence does not verify is refused and spends nothing: the rightful retry still succeeds.
    @Test func evidenceThatDoesNotVerifyDoesNotBurnTheSession() async throws {
        let clock = TestClock()
        try await Challenge().withServers(clock: clock) { documents, base, client in
            let agent = Agent(id: base + "/agents/a.json")
            let stranger = Agent(id: base + "/agents/stranger.json")
            documents.set("/agents/a.json", json: agent.document())
            let (session, nonce) = try await Challenge.openChallenge(client, agent, issuer: Self.issuer, now: clock.now)
            // The agent's own attestation for an earlier challenge, as someone who saw it in transit would replay it.
            let stale = try await agent.attestation(issuer: Self.issuer, nonce: "an-earlier-nonce", now: clock.now)
            // A stranger's key claiming to be the agent.
            let forged = try await stranger.sign([
                "iss": .string(agent.id), "sub": .string(agent.id), "aud": .string(Self.issuer), "jti": .string(UUID().uuidString),
                "nonce": .string(nonce), "iat": .number(clock.now.timeIntervalSince1970),
                "exp": .number(clock.now.timeIntervalSince1970 + 60),
            ])
            for (junk, says) in [("x.y.z", "compact JWS"), (forged, "signature"), (stale, "nonce")] {
                let form = Challenge.grant(
                    agent,
                    try await agent.assertion(issuer: Self.issuer, now: clock.now),
                    extra: [("challenge_session", session), ("challenge_evidence", junk)]
                )
                let (status, body, _) = try await Challenge.token(client, form)
                #expect(status == .badRequest && body["error"] as? String == "unauthorized_client", "\(body)")
                #expect((body["error_description"] as? String)?.contains(says) == true, "\(body)")
            }
            let evidence = try await agent.attestation(issuer: Self.issuer, nonce: nonce, now: clock.now)
            let rightful = Challenge.grant(
                agent,
                try await agent.assertion(issuer: Self.issuer, now: clock.now),
                extra: [("challenge_session", session), ("challenge_evidence", evidence)]
            )
            let (status, body, _) = try await Challenge.token(client, rightful)
            #expect(status == .ok, "\(body)")
        }
    }

    /// Evidence that verifies spends the session even when the policy, deciding again with it, refuses: the
    /// session answered one challenge and is not a second chance.
    @Test func evidenceThatVerifiesEndsTheSessionWhateverThePolicyThenSays() async throws {
        let clock = TestClock()
        let attestation = ChallengeRequirement.clientAttestation
        let policy = """
            @challenge("\(attestation)")
            forbid(principal, action, resource) when { context.metadata_document_client && context.client_age_seconds < 600 };
            @reason("an attested newcomer is still not given admin")
            forbid(principal, action, resource) when { context.evidence.contains("\(attestation)") && context.scopes.contains("admin") };
            """
        try await Challenge().withServers(policy: policy, clock: clock) { documents, base, client in
            let agent = Agent(id: base + "/agents/a.json")
            documents.set("/agents/a.json", json: agent.document())
            let (session, nonce) = try await Challenge.openChallenge(client, agent, issuer: Self.issuer, now: clock.now, scope: "admin")
            var descriptions: [String] = []
            for _ in 0..<2 {
                let evidence = try await agent.attestation(issuer: Self.issuer, nonce: nonce, now: clock.now)
                let form = Challenge.grant(
                    agent,
                    try await agent.assertion(issuer: Self.issuer, now: clock.now),
                    scope: "admin",
                    extra: [("challenge_session", session), ("challenge_evidence", evidence)]
                )
                let (status, body, _) = try await Challenge.token(client, form)
                #expect(status == .badRequest && body["error"] as? String == "unauthorized_client", "\(body)")
                descriptions.append(body["error_description"] as? String ?? "")
            }
            #expect(descriptions[0].contains("still not given admin"), "\(descriptions)")
            #expect(descriptions[1].contains("already used"), "\(descriptions)")
        }
    }
}
