import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A loopback HTTP server that plays the clients' side: serves metadata documents and key sets
/// whose status, headers and body a test sets per path, and counts the fetches.
final class ClientMetadataDocumentServer: Sendable {
    struct Reply: Sendable {
        var status: HTTPResponse.Status = .ok
        var headers: HTTPFields = [.contentType: "application/json"]
        var body: String
    }

    private let replies = Mutex<[String: Reply]>([:])
    private let fetches = Mutex<[String: Int]>([:])

    func set(_ path: String, _ reply: Reply) { replies.withLock { $0[path] = reply } }
    func set(_ path: String, json: String, headers: HTTPFields = [.contentType: "application/json"]) {
        set(path, Reply(headers: headers, body: json))
    }
    func fetchCount(_ path: String) -> Int { fetches.withLock { $0[path] ?? 0 } }

    /// Runs `body` with the server listening on 127.0.0.1; `body` gets the base URL.
    func run(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.get("**") { request, _ -> Response in
            let path = request.uri.path
            self.fetches.withLock { $0[path, default: 0] += 1 }
            guard let reply = self.replies.withLock({ $0[path] }) else { return Response(status: .notFound) }
            return Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body("http://127.0.0.1:\(port)")
        }
    }
}
