import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// The `outbound_network:`, `client_id_metadata_documents:` and `client_challenges:` config sections.
@Suite struct ClientTrustConfigurationTests {
    @Test func theSectionsParse() throws {
        let yaml = """
            outbound_network:
              allowed_networks: ["127.0.0.1/32", "fd00::/8"]
            client_id_metadata_documents:
              enabled: true
              allow_http: true
              allowed_grant_types: [client_credentials]
              allowed_scopes: [payments]
              minimum_cache_lifetime: 10
              maximum_cache_lifetime: 600
            client_challenges:
              session_lifetime: 120
              policy: |
                @challenge("urn:tessera:params:client-challenge:client-attestation")
                forbid(principal, action, resource) when { context.client_age_seconds < 600 };
              attesters:
                - issuer: https://attester.example
                  jwks: {keys: [{kty: EC, crv: P-256, x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        #expect(configuration.outboundPolicy.allowedNetworks.map(\.description) == ["127.0.0.1/32", "fd00::/8"])
        #expect(configuration.clientMetadataDocumentsEnabled && configuration.clientMetadata.allowHTTP)
        #expect(configuration.clientMetadata.allowedScopes == ["payments"])
        #expect(configuration.clientMetadata.maximumCacheLifetime == 600)
        #expect(configuration.clientChallenges.sessionLifetime == 120)
        #expect(configuration.clientChallenges.attesters.map(\.issuer) == ["https://attester.example"])
        #expect(configuration.clientChallenges.policy?.contains("client_age_seconds") == true)
    }

    /// `outbound:` is the former name of `outbound_network:` (it read like a peer's claims
    /// transcription `chaining.peers[].outbound`): still applied, with a notice the server logs.
    @Test func theFormerNameOfOutboundNetworkStillWorksWithANotice() throws {
        let old = try ConfigurationLoader.load(file: "outbound:\n  allowed_networks: [\"127.0.0.1/32\"]", environment: [:])
        #expect(old.outboundPolicy.allowedNetworks.map(\.description) == ["127.0.0.1/32"])
        #expect(old.deprecationNotices.count == 1 && old.deprecationNotices[0].contains("outbound_network"))
        let new = try ConfigurationLoader.load(file: "outbound_network:\n  allowed_networks: [\"127.0.0.1/32\"]", environment: [:])
        #expect(new.outboundPolicy == old.outboundPolicy && new.deprecationNotices.isEmpty)
    }

    @Test(arguments: [
        ("outbound_network:\n  allowed_networks: [\"10.0.0.0/99\"]", "outbound_network.allowed_networks[0]"),
        ("outbound:\n  allowed_networks: [\"10.0.0.0/99\"]", "outbound.allowed_networks[0]"),
        ("outbound_network:\n  allowed_networks: []\noutbound:\n  allowed_networks: []", "outbound"),
        ("client_id_metadata_documents:\n  allow_http: true", "client_id_metadata_documents.allow_http"),
        (
            "client_id_metadata_documents:\n  minimum_cache_lifetime: 100\n  maximum_cache_lifetime: 10",
            "client_id_metadata_documents.maximum_cache_lifetime"
        ),
        ("client_challenges:\n  policy: \"forbid(principal action, resource);\"", "client_challenges.policy"),
        ("client_challenges:\n  policy_file: /nonexistent/policy.cedar", "client_challenges.policy_file"),
        ("client_challenges:\n  session_lifetime: 5", "client_challenges.session_lifetime"),
    ])
    func badSettingsNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == field
        }
    }
}
