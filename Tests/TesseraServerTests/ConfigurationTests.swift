import TesseraStorage
import TesseraProtocol
import TesseraEngine
import HTTPTypes
import Testing
import TesseraServer

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
        ("clients:\n  - id: a\n    auth: client_secret_basic\n    secret: short\n    grant_types: [client_credentials]", "clients[0].secret"),
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
