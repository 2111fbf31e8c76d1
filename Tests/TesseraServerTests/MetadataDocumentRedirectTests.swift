import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A Client ID Metadata Document's `redirect_uris` follow the operator's rule (review round 12, K4): https, http to a
/// loopback host, or a reversed-domain private-use scheme (RFC 8252 §7.1, §7.3); never `javascript:`, plain http to
/// another host, user information or a bare app scheme. The document is refused at the authorization endpoint, shown as
/// a page (the redirect URI is not verified), and no code is sent anywhere.
@Suite struct MetadataDocumentRedirectTests {
    typealias Flow = AuthorizationCodeFlowTests

    @Test(arguments: [
        "javascript:alert(1)", "http://evil.example/cb", "data:text/html,x", "file:///tmp/x", "myapp:/cb",
        "https://user@evil.example/cb",
    ])
    func aDocumentWithAnUnsafeRedirectURIIsRefused(_ redirect: String) async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            let document = """
                {"client_id":"\(base)/agent.json","client_name":"Agent","redirect_uris":["\(redirect)"],
                 "grant_types":["authorization_code"],"token_endpoint_auth_method":"none","scope":"read"}
                """
            documents.set("/agent.json", json: document)
            try await MCPClientRequirementsTests().withApp(documents: base) { client, _ in
                let browser = Flow.Browser(client)
                try await browser.signIn()
                let page = try await browser.request(Flow.authorizeURI(client: base + "/agent.json", redirect: redirect, scope: "read"))
                #expect(page.status == .badRequest || page.status == .unauthorized, "\(redirect): \(page.status)")
                #expect(page.location == nil, "\(redirect): no redirect at all")
            }
        }
    }
}
