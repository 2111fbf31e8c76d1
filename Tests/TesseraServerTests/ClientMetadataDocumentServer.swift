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

    /// Runs `body` with the server listening on `host` (127.0.0.1 unless told: a loopback address outside an
    /// allow-listed network plays an internal service); `body` gets the base URL. GETs and POSTs are counted alike.
    func run(host: String = "127.0.0.1", _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        let answer: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let path = request.uri.path
            self.fetches.withLock { $0[path, default: 0] += 1 }
            guard let reply = self.replies.withLock({ $0[path] }) else { return Response(status: .notFound) }
            return Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        router.get("**", use: answer)
        router.post("**", use: answer)
        guard host != "127.0.0.1" else {
            let app = Application(router: router, configuration: .init(address: .hostname(host, port: 0)))
            return try await app.test(.live) { client in
                let port = try #require(client.port)
                try await body("http://127.0.0.1:\(port)")
            }
        }
        // HummingbirdTesting's live mode always listens on localhost: run the server here, stopped by cancellation.
        let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: 0)),
            onServerRunning: { portFound.yield($0.localAddress?.port ?? 0) }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            defer { group.cancelAll() }
            try await body("http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
        }
    }
}
