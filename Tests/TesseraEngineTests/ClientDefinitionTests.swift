import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraStorage
import TesseraTesting
import Testing

@Suite struct ClientDefinitionTests {
    let now = Fixtures.epoch

    @Test func generatesAHighEntropySecretAndStoresOnlyItsHash() throws {
        let validated = try ClientDefinition(id: "a", auth: "client_secret_basic", grantTypes: ["client_credentials"], scopes: "read")
            .validated(now: now)
        let secret = try #require(validated.generatedSecret)
        #expect(secret.count >= 43)
        let hash = try #require(validated.record.secretHash)
        #expect(!hash.contains(secret))
        #expect(ClientSecret.verify(secret, against: hash))
        #expect(!ClientSecret.verify(secret + "x", against: hash))
    }

    @Test func saltedHashesDifferForTheSameSecret() {
        #expect(ClientSecret.hash(TestClients.secret) != ClientSecret.hash(TestClients.secret))
    }

    @Test(arguments: [
        ("id", ClientDefinition(id: "", auth: "none", grantTypes: ["refresh_token"], scopes: "")),
        ("id", ClientDefinition(id: "has space", auth: "none", grantTypes: ["refresh_token"], scopes: "")),
        ("auth", ClientDefinition(id: "a", auth: "tls_client_auth", grantTypes: ["client_credentials"], scopes: "")),
        ("secret", ClientDefinition(id: "a", auth: "client_secret_basic", secret: "short", grantTypes: ["client_credentials"], scopes: "")),
        ("grant_types", ClientDefinition(id: "a", auth: "client_secret_basic", grantTypes: ["password"], scopes: "")),
        ("grant_types", ClientDefinition(id: "a", auth: "client_secret_basic", grantTypes: [], scopes: "")),
        ("grant_types", ClientDefinition(id: "a", auth: "none", grantTypes: ["client_credentials"], scopes: "")),
        ("scopes", ClientDefinition(id: "a", auth: "client_secret_basic", grantTypes: ["client_credentials"], scopes: "r\"w")),
        ("jwks", ClientDefinition(id: "a", auth: "private_key_jwt", grantTypes: ["client_credentials"], scopes: "")),
        ("jwks", ClientDefinition(id: "a", auth: "private_key_jwt", jwks: "{\"keys\":[]}", grantTypes: ["client_credentials"], scopes: "")),
        (
            "jwks",
            ClientDefinition(
                id: "a",
                auth: "private_key_jwt",
                jwks: "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}",
                grantTypes: ["client_credentials"],
                scopes: ""
            )
        ),
        (
            "jwks_uri",
            ClientDefinition(id: "a", auth: "private_key_jwt", jwksURI: "ftp://x/jwks", grantTypes: ["client_credentials"], scopes: "")
        ),
    ])
    func badDefinitionsNameTheField(_ field: String, _ definition: ClientDefinition) {
        #expect {
            try definition.validated(now: now)
        } throws: { error in
            (error as? ClientDefinitionError)?.field == field
        }
    }
}
