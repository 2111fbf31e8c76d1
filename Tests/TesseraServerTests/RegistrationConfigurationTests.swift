import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// `registration:` (docs/mcp.md): a mode alone or a section; off by default; a wrong mode, an
/// unknown member, an unsupported grant type or a bad limit stops the server naming the field.
@Suite struct RegistrationConfigurationTests {
    static func load(_ yaml: String) throws -> ServerConfiguration {
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        return configuration
    }

    @Test func registrationIsOffByDefault() throws {
        #expect(try Self.load("port: 0\n").registration.mode == .off)
        // YAML 1.1 reads a bare `off` as a boolean.
        #expect(try Self.load("registration: off\n").registration.mode == .off)
    }

    @Test func aModeAloneOrASectionIsRead() throws {
        #expect(try Self.load("registration: open\n").registration.mode == .open)
        let section = try Self.load(
            """
            registration:
              mode: initial_access_token
              allowed_grant_types: [authorization_code, refresh_token, client_credentials]
              allowed_scopes: [mcp:tools, read]
              attempts_per_address: 5
              window: 60
            """
        ).registration
        #expect(section.mode == .initialAccessToken)
        #expect(section.allowedGrantTypes == [.authorizationCode, .refreshToken, .clientCredentials])
        #expect(section.allowedScopes == ["mcp:tools", "read"])
        #expect(section.attemptsPerAddress == 5 && section.window == 60)
    }

    @Test(arguments: [
        ("registration: anyone\n", "registration.mode"),
        ("registration: on\n", "registration.mode"),
        ("registration:\n  mode: open\n  allowed_grant_types: [implicit]\n", "registration.allowed_grant_types"),
        ("registration:\n  mode: open\n  allowed_scopes: [\"two words\"]\n", "registration.allowed_scopes"),
        ("registration:\n  mode: open\n  attempts_per_address: 0\n", "registration.attempts_per_address"),
        ("registration:\n  mode: open\n  window: 0\n", "registration.window"),
    ])
    func aWrongSettingNamesTheField(_ yaml: String, _ field: String) {
        #expect {
            try Self.load(yaml)
        } throws: { error in
            (error as? ConfigurationError)?.field == field
        }
    }

    @Test func unknownMembersAreRefused() {
        #expect(throws: ConfigurationError.self) { try Self.load("registration:\n  mode: open\n  allow_scopes: [read]\n") }
    }
}
