import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Issue 21 item 3: a client the operator registers can carry a display name (`client_name` in the
/// config, `tessera clients add --name`). The sign-in and consent pages show it as the operator's
/// word — in bold, "registered with this server by its operator" — unlike the name a metadata
/// document or a self-registration gives, which stays "as it names itself, unverified".
@Suite struct OperatorClientNameTests {
    typealias Flow = AuthorizationCodeFlowTests
    static let name = "Budget <Planner> & Co"
    let clock = TestClock()

    func app() async throws -> TesseraApplication {
        try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            for index in configuration.clients.indices where configuration.clients[index].id == Flow.web {
                configuration.clients[index].clientName = "  \(Self.name) "
            }
        }
    }

    @Test func theSignInAndConsentPagesShowTheOperatorsNameAsVerified() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            let start = try await browser.request(Flow.authorizeURI(scope: "read"))
            let consentPath = try #require(start.location)
            let signInPath = try #require(try await browser.request(consentPath).location)
            let signIn = try await browser.request(signInPath)
            let asking = ConsentPagesTests.section(signIn.body, from: "id=\"asking\"", to: "</p>") ?? ""
            #expect(asking.contains("<strong><bdi>Budget &lt;Planner&gt; &amp; Co</bdi></strong>"), "\(asking)")
            #expect(asking.contains("registered with this server by its operator"), "\(asking)")
            #expect(!asking.contains("as it names itself"))

            try await browser.signIn()
            let consent = try await browser.request(consentPath)
            #expect(consent.status == .ok)
            #expect(
                consent.body.contains("<p><strong><bdi>Budget &lt;Planner&gt; &amp; Co</bdi></strong> asks for access on your behalf.</p>"),
                "\(consent.body)"
            )
            #expect(consent.body.contains("<dd id=\"registered-by\">this server&#39;s operator</dd>"))
            #expect(consent.body.contains("<dd><bdi>\(Flow.web)</bdi></dd>"), "the client_id is still shown")
        }
    }

    @Test func aClientWithoutANameIsNamedByItsID() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let start = try await browser.request(Flow.authorizeURI(client: Flow.spa, redirect: Flow.spaCallback, scope: "read"))
            let consent = try await browser.request(try #require(start.location))
            #expect(consent.body.contains("<strong>An application</strong> asks for access on your behalf."), "\(consent.body)")
            #expect(!consent.body.contains("registered-by"))
        }
    }

    @Test(arguments: ["", "   ", "Bank\u{202E}nalP", "Line\nbreak", String(repeating: "n", count: 101)])
    func aNameThatCouldMisleadIsRefused(_ name: String) async throws {
        var definition = ClientDefinition(id: "c", auth: "client_secret_basic", grantTypes: ["client_credentials"], scopes: "read")
        definition.clientName = name
        #expect {
            _ = try definition.validated(now: Date())
        } throws: { error in
            (error as? ClientDefinitionError)?.field == "client_name"
        }
    }

    @Test func theConfigFileCarriesTheName() throws {
        let yaml = """
            clients:
              - id: named
                client_name: Budget Planner
                auth: client_secret_basic
                grant_types: [client_credentials]
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        #expect(configuration.clients.first?.clientName == "Budget Planner")
        #expect(try configuration.clients.first?.validated(now: Date()).record.clientName == "Budget Planner")
    }
}
