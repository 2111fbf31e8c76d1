import Foundation
import HTTPTypes
import TesseraProtocol
import TesseraTesting
import Testing

/// Outside review round 10, H7: a metadata-document client whose document keeps the same `jwks_uri` while
/// the key set at that URI is replaced (whoever took over the client's key file) has changed its keys:
/// the challenge policy's `keys_changed_recently` sees it.
extension ClientChallengeTests {
    static let keysChangedPolicy = """
        @challenge("\(attestation)")
        forbid(principal, action, resource) when { context.metadata_document_client && context.keys_changed_recently };
        """

    @Test func aKeySetSwappedBehindAnUnchangedJWKSURIIsAKeyChange() async throws {
        let clock = TestClock()
        try await withServers(policy: Self.keysChangedPolicy, clock: clock) { documents, base, client in
            let owner = Agent(id: base + "/agents/k.json")
            let thief = Agent(id: owner.id)
            func keySet(_ agent: Agent) throws -> String {
                String(decoding: try JSONEncoder().encode(PublicJWKSet(keys: [agent.publicJWK])), as: UTF8.self)
            }
            documents.set(
                "/agents/k.json",
                json: """
                    {"client_id": "\(owner.id)", "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"],
                     "scope": "payments", "jwks_uri": "\(base)/agents/keys.json", "insufficient_client_authorization_supported": true}
                    """
            )
            documents.set("/agents/keys.json", json: try keySet(owner))
            let (status, body, _) = try await Self.token(
                client,
                Self.grant(owner, try await owner.assertion(issuer: Self.issuer, now: clock.now))
            )
            #expect(status == .ok, "the first key set seen is no change: \(body)")

            // The same kid, another key; the document is unchanged. Both caches have expired.
            documents.set("/agents/keys.json", json: try keySet(thief))
            clock.advance(by: 301)
            let (swapped, swappedBody, _) = try await Self.token(
                client,
                Self.grant(thief, try await thief.assertion(issuer: Self.issuer, now: clock.now))
            )
            #expect(documents.fetchCount("/agents/keys.json") == 2)
            #expect(swapped == .forbidden, "\(swappedBody)")
            #expect(swappedBody["error"] as? String == "insufficient_client_authorization")
        }
    }
}
