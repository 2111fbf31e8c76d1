import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Client challenges written in the one policy set (`Action::"challenge"`, docs/policy.md) work as
/// `client_challenges.policy` does: a `@challenge` forbid asks for evidence
/// (draft-kahrer-oauth-client-challenge-protocol-00 §4), and the evidence lets the retry through.
extension ClientChallengeTests {
    @Test func aChallengeWrittenInTheOwnersPolicySetAsksForEvidence() async throws {
        let clock = TestClock()
        let owner = try OwnerPolicy(
            text: """
                @challenge("\(Self.attestation)")
                forbid (principal, action == Action::"challenge", resource)
                when { context.metadataDocumentClient && context.clientAgeSeconds < 600 };
                """,
            source: "owner.cedar"
        )
        try await withServers(policy: nil, clock: clock, configure: { $0.policy = owner }) { documents, base, client in
            let agent = Agent(id: base + "/agents/owner.json")
            documents.set("/agents/owner.json", json: agent.document())
            let (status, body, _) = try await Self.token(
                client,
                Self.grant(agent, try await agent.assertion(issuer: Self.issuer, now: clock.now))
            )
            #expect(status == .forbidden)
            #expect(body["error"] as? String == "insufficient_client_authorization")
            let session = try #require(body["challenge_session"] as? String)
            let requirement = try #require(body["authorization_requirement"] as? [String: Any])
            #expect(requirement["type"] as? String == Self.attestation)
            let nonce = try #require(requirement["nonce"] as? String)

            let evidence = try await agent.attestation(issuer: Self.issuer, nonce: nonce, now: clock.now)
            let retry = Self.grant(
                agent,
                try await agent.assertion(issuer: Self.issuer, now: clock.now),
                extra: [("challenge_session", session), ("challenge_evidence", evidence)]
            )
            let (okStatus, okBody, _) = try await Self.token(client, retry)
            #expect(okStatus == .ok, "\(okBody)")
        }
    }
}
