import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraServer
import TesseraTesting
import Testing

/// RFC 9110 §9.3.2: every GET resource answers HEAD with the GET's status and header fields and no content.
@Suite struct HeadRequestTests {
    @Test(arguments: ["/.well-known/oauth-authorization-server", "/jwks"])
    func headAnswersWithTheGetHeadersAndNoBody(path: String) async throws {
        let app = try await TestServer.build()
        // Live: Content-Length and the empty body are wire details the router transport does not show.
        try await app.application.test(.live) { client in
            let get = try await client.execute(uri: path, method: .get)
            #expect(get.status == .ok)
            #expect(get.body.readableBytes > 0)
            let head = try await client.execute(uri: path, method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            #expect(head.headers[.contentLength] == get.headers[.contentLength])
            #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func headOnAPostOnlyEndpointIsAnsweredLikeGet() async throws {
        let app = try await TestServer.build()
        try await app.application.test(.live) { client in
            let get = try await client.execute(uri: "/token", method: .get)
            let head = try await client.execute(uri: "/token", method: .head)
            #expect(get.status != .ok)
            #expect(head.status == get.status)
        }
    }
}
