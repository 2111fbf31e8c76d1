import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// The `id_jag:` settings of `chaining:` (docs/chaining.md, "ID-JAG"): they load, and each wrong one is named.
@Suite struct IDJAGConfigurationTests {
    @Test func idJAGSettingsLoad() throws {
        let yaml = """
            issuer: https://idp.test
            clients:
              - {id: agent, auth: client_secret_basic, secret: agent-secret-agent-secret-0123456789, grant_types: ["urn:ietf:params:oauth:grant-type:token-exchange"], scopes: openid}
            chaining:
              id_jag_lifetime: 120
              peers:
                - name: mcp-as
                  issuer: https://mcp-as.test
                  id_jag:
                    resources: [https://mcp.test/mcp]
                    clients: [agent]
                    scopes: "mcp:tools"
                    client_ids: {agent: agent-at-mcp}
                    step_up: {max_age: 600, acr_values: ["urn:example:mfa", phr]}
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        let settings = try #require(configuration.chaining.peers.first?.idJAG)
        #expect(configuration.chaining.idJAGLifetime == 120)
        #expect(settings.resources == ["https://mcp.test/mcp"])
        #expect(settings.clients == ["agent"])
        #expect(settings.scopes.tokens == ["mcp:tools"])
        #expect(settings.clientIDs == ["agent": "agent-at-mcp"])
        #expect(settings.stepUp == AuthenticationRequirement(acrValues: ["urn:example:mfa", "phr"], maxAge: 600))
        #expect(configuration.chaining.chainingTokenTypes.contains(TokenTypeIdentifier.idJAG))
        // No keys for mcp-as: we issue ID-JAGs for it but redeem none of its.
        #expect(!configuration.chaining.redeemsIDJAGs)
    }

    /// A peer whose `id_jag` has this `step_up`.
    static func stepUp(_ value: String) -> String {
        "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      id_jag: {resources: [https://mcp.test], step_up: \(value)}"
    }

    @Test(arguments: [
        ("chaining:\n  id_jag_lifetime: 301", "chaining.id_jag_lifetime"),
        ("chaining:\n  id_jag_lifetime: 0", "chaining.id_jag_lifetime"),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      id_jag: {resource: [https://mcp.test]}",
            "chaining.peers"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      id_jag: {resources: [\"not a uri\"]}",
            "chaining.peers[0].id_jag.resources[0]"
        ),
        (
            "chaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      id_jag: {scopes: \"a\\\\b\"}",
            "chaining.peers[0].id_jag.scopes"
        ),
        (
            "clients:\n  - {id: x, auth: client_secret_basic, secret: x-secret-x-secret-x-secret-0123456789, grant_types: [client_credentials]}\nchaining:\n  peers:\n    - name: b\n      issuer: https://b.test\n      id_jag: {clients: [nobody]}",
            "chaining.peers[0].id_jag.clients"
        ),
        ("chaining:\n  id_jag_policy_file: /nonexistent/id-jag.cedar", "chaining.id_jag_policy_file"),
        (Self.stepUp("{}"), "chaining.peers[0].id_jag.step_up"),
        (Self.stepUp("{max_age: 0}"), "chaining.peers[0].id_jag.step_up.max_age"),
        (Self.stepUp("{max_age: -5}"), "chaining.peers[0].id_jag.step_up.max_age"),
        (Self.stepUp("{max_age: 31536001}"), "chaining.peers[0].id_jag.step_up.max_age"),
        (Self.stepUp("{acr_values: [\"two words\"]}"), "chaining.peers[0].id_jag.step_up.acr_values[0]"),
        (Self.stepUp("{acr_values: [mfa, \"\"]}"), "chaining.peers[0].id_jag.step_up.acr_values[1]"),
        (Self.stepUp("{acr_values: [mfa, mfa]}"), "chaining.peers[0].id_jag.step_up.acr_values"),
        (Self.stepUp("{max_age: 60, acr: [mfa]}"), "chaining.peers"),
    ])
    func badIDJAGSettingsNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field.hasPrefix(field) == true
        }
    }
}
