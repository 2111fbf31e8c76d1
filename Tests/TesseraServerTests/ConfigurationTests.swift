import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import Testing

@Suite struct ConfigurationTests {
    @Test func fileThenEnvironmentOverride() throws {
        let yaml = """
            port: 9000
            host: 127.0.0.1
            database: "sqlite::memory:"
            clients:
              - id: svc
                auth: client_secret_basic
                secret: 0123456789abcdef0123456789abcdef
                grant_types: client_credentials,refresh_token
                scopes: read write
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: ["TESSERA_PORT": "9100", "UNRELATED": "x"])
        #expect(configuration.port == 9100)
        #expect(configuration.clients.first?.grantTypes == ["client_credentials", "refresh_token"])
        try configuration.validate()
    }

    @Test(arguments: [
        ("port: many", "port"),
        ("colour: blue", "colour"),
        ("issuer: ftp://x", "issuer"),
        ("access_token_lifetime: 0", "access_token_lifetime"),
        ("clients:\n  - id: a\n    auth: client_secret_basic\n    grant_types: [client_credentials]", "clients[0].secret"),
        (
            "clients:\n  - id: a\n    auth: client_secret_basic\n    secret: short\n    grant_types: [client_credentials]",
            "clients[0].secret"
        ),
        ("clients:\n  - id: a\n    auth: magic\n    grant_types: [client_credentials]", "clients[0].auth"),
    ])
    func badSettingsNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field.hasPrefix(field) == true
        }
    }

    @Test func badEnvironmentValueNamesTheVariable() {
        #expect {
            try ConfigurationLoader.load(file: nil, environment: ["TESSERA_PORT": "eighty"])
        } throws: { error in
            (error as? ConfigurationError)?.field == "TESSERA_PORT"
        }
    }
}

@Suite struct ChainingConfigurationTests {
    static let peer = """
        chaining:
          grant_lifetime: 30
          policy_file: /nonexistent/policy.cedar
        """

    @Test func fullSectionLoads() throws {
        let yaml = """
            issuer: https://as-a.test
            chaining:
              domain: a.example
              grant_lifetime: 30
              impersonation_clients: []
              peers:
                - name: b
                  issuer: https://as-b.test
                  jwks_uri: https://as-b.test/jwks
                  audiences: [https://as-b.test, https://as-b.test/token]
                  scopes: read write
                  outbound:
                    subject_map: {alice: alice@b}
                    claims: [department]
                  inbound:
                    subject_claim: email
                    require_subject_mapping: false
                    claims: ["*"]
                    claim_prefix: "b/"
                    remove: [ssn]
              subject_token_issuers:
                - issuer: https://idp.test
                  jwks: {keys: [{kty: EC, crv: P-256, x: "MXfMrj_tgPJHxkfmDAx0m74E-T-DuLYCNdmuqtpfP_E", y: "YX82bI52OPBED1h_1HpsxAyWzrQ7DChAAVX9Q9E8uYQ", kid: "2813308004"}]}
                  algorithms: [ES256]
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        let trust = configuration.chaining
        #expect(trust.domain == "a.example")
        #expect(trust.grantLifetime == 30)
        #expect(trust.peers.first?.audiences == ["https://as-b.test", "https://as-b.test/token"])
        #expect(trust.peers.first?.outbound.subjectMap == ["alice": "alice@b"])
        #expect(trust.peers.first?.inbound.claimPrefix == "b/")
        #expect(trust.subjectTokenIssuers.first?.jwks?.keys.first?.kid == "2813308004")
    }

    @Test(arguments: [
        ("chaining:\n  grant_lifetime: 0", "chaining.grant_lifetime"),
        ("chaining:\n  colour: blue", "chaining.colour"),
        ("chaining:\n  policy_file: /nonexistent/policy.cedar", "chaining.policy_file"),
        ("chaining:\n  peers:\n    - name: b\n      issuer: ftp://b", "chaining.peers[0].issuer"),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      jwks_uri: https://b.test/jwks\n      jwks: {keys: [{kty: EC}]}",
            "chaining.peers[0].jwks"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n    - name: b\n      issuer: https://c.test",
            "chaining.peers[1].name"
        ),
        ("chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      algorithms: [HS256]", "chaining.peers[0].algorithms"),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      inbound: {require_subject_mapping: true}",
            "chaining.peers[0].inbound.require_subject_mapping"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      inbound: {claims: [sub]}",
            "chaining.peers[0].inbound.claims[0]"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      inbound: {subjekt: x}",
            "chaining.peers[0].inbound.subjekt"
        ),
        ("chaining:\n  subject_token_issuers:\n    - issuer: https://idp.test", "chaining.subject_token_issuers[0].jwks"),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      jwks_uri: https://b.test/jwks\n      metadata_url: https://b.test/.well-known/oauth-authorization-server",
            "chaining.peers[0].metadata_url"
        ),
        ("issuer: https://a.test\nchaining:\n  peers:\n    - name: self\n      issuer: https://a.test", "chaining.peers[0].issuer"),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: a, authentication: none, token_endpoint: https://b.test/token}",
            "chaining.peers[0].redeem.authentication"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: a, authentication: client_secret_basic, token_endpoint: https://b.test/token}",
            "chaining.peers[0].redeem.client_secret"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: a, authentication: private_key_jwt, client_secret: s, token_endpoint: https://b.test/token}",
            "chaining.peers[0].redeem.client_secret"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: a, authentication: private_key_jwt}",
            "chaining.peers[0].redeem.token_endpoint"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: a, authentication: private_key_jwt, token_endpoint: ftp://b.test/token}",
            "chaining.peers[0].redeem.token_endpoint"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: \"\", authentication: private_key_jwt, token_endpoint: https://b.test/token}",
            "chaining.peers[0].redeem.client_id"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {client_id: a, authentication: private_key_jwt, token_endpoint: https://b.test/token, secret: s}",
            "chaining.peers[0].redeem.secret"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      redeem: {authentication: private_key_jwt, token_endpoint: https://b.test/token}",
            "chaining.peers[0].redeem"
        ),
    ])
    func badChainingSettingsNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field.hasPrefix(field) == true
        }
    }

    @Test func redeemBlockLoads() throws {
        let yaml = """
            issuer: https://as-a.test
            chaining:
              peers:
                - name: b
                  issuer: https://as-b.test
                  metadata_url: https://as-b.test/.well-known/oauth-authorization-server
                  redeem: {client_id: as-a, authentication: private_key_jwt}
                - name: c
                  issuer: https://as-c.test
                  redeem: {client_id: as-a, authentication: client_secret_basic, client_secret: s3cret, token_endpoint: https://as-c.test/token}
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        let (b, c) = (try #require(configuration.chaining.peers.first?.redeem), try #require(configuration.chaining.peers.last?.redeem))
        #expect(b.clientID == "as-a")
        #expect(b.tokenEndpoint == nil)
        guard case .privateKeyJWT = b.authentication else { Issue.record("b: \(b.authentication)"); return }
        #expect(c.tokenEndpoint == "https://as-c.test/token")
        guard case .clientSecretBasic(let secret) = c.authentication else { Issue.record("c: \(c.authentication)"); return }
        #expect(secret == "s3cret")
        #expect(configuration.chaining.chainingTokenTypes == [TokenTypeIdentifier.jwt, TokenTypeIdentifier.accessToken])
    }

    @Test func invalidPolicyIsRefusedWithTheParserMessage() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chaining-\(UUID().uuidString).cedar").path
        try "permit (principal, action, resource".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try ConfigurationLoader.load(file: "chaining:\n  policy_file: \(path)", environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.field == "chaining.policy_file"
        }
    }
}

@Suite struct DPoPConfigurationTests {
    @Test func theSectionLoads() throws {
        let secret = String(repeating: "A", count: 43)
        let yaml = """
            dpop:
              require_nonce: true
              nonce_secret: \(secret)
              nonce_period: 120
              proof_window: 30
              algorithms: [ES256, EdDSA]
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        #expect(configuration.dpop.requireNonce)
        #expect(configuration.dpop.nonceSecret?.count == 32)
        #expect(configuration.dpop.noncePeriod == 120)
        #expect(configuration.dpop.proofWindow == 30)
        #expect(configuration.dpop.algorithms == [.es256, .edDSA])
        #expect(ServerConfiguration().dpop.requireNonce == false)
    }

    @Test(arguments: [
        ("dpop:\n  algorithms: [ES256, HS256]", "dpop.algorithms"),
        ("dpop:\n  algorithms: [none]", "dpop.algorithms"),
        ("dpop:\n  algorithms: []", "dpop.algorithms"),
        ("dpop:\n  proof_window: 0", "dpop.proof_window"),
        ("dpop:\n  nonce_period: 1", "dpop.nonce_period"),
        ("dpop:\n  nonce_secret: c2hvcnQ", "dpop.nonce_secret"),
        ("dpop:\n  nonce_secret: \"not base64url!\"", "dpop.nonce_secret"),
        ("dpop:\n  require_nonces: true", "dpop.require_nonces"),
    ])
    func badSettingsNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field.hasPrefix(field) == true
        }
    }
}
