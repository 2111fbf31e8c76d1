import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Outside review round 10, H5: a name a client gives itself reached the consent page with its
/// bidirectional controls, and a right-to-left override turned the "(as it names itself, unverified)"
/// warning after it around. One rule (``DisplayedName``) now refuses control and format characters in
/// every self-given name (RFC 7591 `client_name`, RFC 9635 §2.3.2 `display.name`); the pages isolate
/// every client-chosen name (`<bdi>`) and write any such character that reaches them as
/// its code point, visibly (`[U+202E]`) (Unicode TR9 §2; RFC 9700 §4.1).
@Suite struct DisplayedNameTests {
    typealias Registration = ClientRegistrationTests
    let clock = TestClock()

    /// Right-to-left override, isolates, a zero-width space, a right-to-left mark, the Arabic letter mark.
    static let reordering = ["Acme Mail \u{202E})deifirev(", "Payroll \u{2066}x\u{2069}", "A\u{200B}B", "Bank\u{200F}", "Mail\u{061C}"]
    /// Combining marks stacked on one letter draw over the page around the name (review round 11, J14).
    static let stacking = ["Acme" + String(repeating: "\u{30D}\u{346}", count: 40), "Mail" + String(repeating: "\u{332}", count: 6)]

    @Test(arguments: reordering + stacking)
    func aRegistrationWhoseNameReordersThePageIsInvalidClientMetadata(_ name: String) async throws {
        try await Registration().withApp { client, _ in
            let answer = try await Registration.send(client, json: Registration.with(["client_name": name]))
            #expect(answer.status == .badRequest)
            #expect(answer.error == "invalid_client_metadata", "\(answer.json)")
        }
    }

    @Test func aRightToLeftNameRegistersAndIsIsolatedOnTheConsentPage() async throws {
        let hebrew = "דואר Mail"
        try await Registration().withApp { client, _ in
            let registered = try await Registration.send(client, json: Registration.with(["client_name": hebrew]))
            #expect(registered.status == .created, "\(registered.json)")
            let clientID = try #require(registered.json["client_id"] as? String)
            let browser = AuthorizationCodeFlowTests.Browser(client)
            let uri = AuthorizationCodeFlowTests.authorizeURI(client: clientID, redirect: "http://127.0.0.1/callback", scope: "read")
            let start = try await browser.request(uri)
            let consent = try await browser.request(try #require(start.location))
            let signIn = try await browser.request(try #require(consent.location))
            #expect(signIn.status == .ok)
            #expect(signIn.body.contains("“<bdi>\(hebrew)</bdi>”"), "the name cannot reorder the words around it: \(signIn.body)")
        }
    }

    @Test(arguments: reordering + stacking)
    func aGNAPClientWhoseDisplayNameReordersThePageIsInvalidRequest(_ name: String) async throws {
        let tests = GNAPEndpointTests()
        let app = try await tests.app()
        let signer = GNAPTestSigner(now: tests.clock.closure)
        let body = try GNAPEndpointTests.grantBody(
            client: .value(GNAPClientInstance(key: signer.key, display: GNAPDisplay(name: name))),
            tokens: .single(.init(access: [GNAPEndpointTests.backupRead]))
        )
        try await app.application.test(.router) { client in
            let answer = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(answer.status == .badRequest)
            #expect((answer.json["error"] as? [String: Any])?["code"] as? String == "invalid_request", "\(answer.json)")
        }
    }

    @Test func aFormatCharacterInRequestedDetailsIsShownVisiblyOnTheConsentPage() async throws {
        try await Registration().withApp { client, _ in
            let details = #"[{"type":"photo-api","actions":["re\u202Ead"]}]"#
            let browser = AuthorizationCodeFlowTests.Browser(client)
            let start = try await browser.request(AuthorizationCodeFlowTests.authorizeURI(extra: [("authorization_details", details)]))
            let consentPath = try #require(start.location)
            try await browser.signIn()
            let consent = try await browser.request(consentPath)
            #expect(consent.status == .ok)
            #expect(consent.body.contains("re[U+202E]ad"), "\(consent.body)")
            #expect(!consent.body.contains("\u{202E}"), "the override never reaches the page as itself")
        }
    }

    /// A right stacking combining marks on one letter is written with its marks as code points (review round 12, K2).
    @Test func stackedMarksInRequestedDetailsAreShownAsCodePoints() async throws {
        try await Registration().withApp { client, _ in
            let marks = String(repeating: #"\u0346"#, count: 30)
            let details = #"[{"type":"photo-api","actions":["read\#(marks)"]}]"#
            let browser = AuthorizationCodeFlowTests.Browser(client)
            let start = try await browser.request(AuthorizationCodeFlowTests.authorizeURI(extra: [("authorization_details", details)]))
            let consentPath = try #require(start.location)
            try await browser.signIn()
            let consent = try await browser.request(consentPath)
            #expect(consent.status == .ok)
            #expect(consent.body.contains("rea" + "d" + String(repeating: "[U+346]", count: 30)), "\(consent.body)")
            #expect(!consent.body.contains("\u{346}"), "no mark reaches the page as itself")
        }
    }

    /// `display.uri` is the client's web page (RFC 9635 §2.3.2): a `javascript:` text or another scheme is refused
    /// (review round 12, K7).
    @Test(arguments: ["javascript:alert(1)", "data:text/html,x", "https://user@client.example/", "not a url"])
    func aGNAPClientWhoseDisplayURIIsNoWebPageIsInvalidRequest(_ uri: String) async throws {
        let tests = GNAPEndpointTests()
        let app = try await tests.app()
        let signer = GNAPTestSigner(now: tests.clock.closure)
        let body = try GNAPEndpointTests.grantBody(
            client: .value(GNAPClientInstance(key: signer.key, display: GNAPDisplay(name: "Acme", uri: uri))),
            tokens: .single(.init(access: [GNAPEndpointTests.backupRead]))
        )
        try await app.application.test(.router) { client in
            let answer = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(answer.status == .badRequest, "\(uri): \(answer.json)")
            #expect((answer.json["error"] as? [String: Any])?["code"] as? String == "invalid_request")
        }
    }
}
