import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The GNAP consent page says, per token, when a token of a multi-token request is a bearer token (RFC 9635 §2.1.1:
/// `bearer` asks for a token not bound to the client's key, so anyone who holds its value can use it): a person
/// approving two tokens must see which one works without the client's key (second outside review, with G2).
extension ConsentPagesTests {
    static let backupWrite = GNAPAccessRight.object(
        GNAPAccessObject(type: "backup-api", actions: ["write"], locations: ["https://backup.example/"])
    )

    @Test func theGNAPConsentPageSaysWhichTokenIsBearer() async throws {
        let agent = agent
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.gnap.continuationWait = 0
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Fintech agent", allowedAccess: ["backup-api"], allowBearer: true)
            ]
        }
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .multiple([
                    .init(access: [Self.backupRead], label: "pub", flags: ["bearer"]),
                    .init(access: [Self.backupWrite], label: "priv"),
                ]),
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
                client: .instance("agent-1"),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        try await app.application.test(.router) { client in
            let pending = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(pending.status == .ok, "\(pending.json)")
            let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String)
            let interaction = String(redirect.dropFirst(app.engine.configuration.issuer.count))
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let page = try await browser.request(interaction)
            #expect(page.status == .ok)
            let bearer = "Anyone who holds this token can use it: it is not tied to a key of the application (a bearer token)."
            let pub = Self.section(page.body, from: "Token “pub”", to: "Token “priv”") ?? ""
            #expect(pub.contains(bearer), "\(page.body)")
            let priv = Self.section(page.body, from: "Token “priv”", to: "</fieldset>") ?? ""
            #expect(!priv.isEmpty && !priv.contains(bearer), "the key-bound token is not called bearer:\n\(priv)")

            // The same page in German (Accept-Language, RFC 9110 §12.5.4).
            var headers: HTTPFields = [.acceptLanguage: "de"]
            headers[.cookie] = browser.cookie
            let german = try await client.execute(uri: interaction, method: .get, headers: headers) { String(buffer: $0.body) }
            let gerPub = Self.section(german, from: "Token „pub“", to: "Token „priv“") ?? ""
            #expect(gerPub.contains("Wer dieses Token besitzt, kann es verwenden"), "\(german)")
            #expect(!(Self.section(german, from: "Token „priv“", to: "</fieldset>") ?? "").contains("Wer dieses Token besitzt"))
        }
    }
}
