import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import TesseraServer
import TesseraTesting
import Testing

@testable import TesseraStorage

/// Each door answers a store outage with its own retry-later response through one error middleware,
/// on every route — including the ones that never had a wrapper of their own (UserInfo answered 500
/// `server_error`, the account and authorization pages a 500 page).
@Suite struct DoorErrorsTests {
    @Test func aStoreOutageOnARouteWithoutItsOwnWrapperIsTheDoorsRetryLaterAnswer() async throws {
        let base = try #require(
            ProcessInfo.processInfo.environment["TESSERA_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 },
            "TESSERA_POSTGRES_URL is not set: run scripts/test, which starts a private PostgreSQL cluster"
        )
        // The schema is migrated first under a generous deadline (a loaded machine); the server then runs with a
        // 3 s request deadline, so a statement stuck behind the lock below comes back as "unavailable".
        let schema =
            base + (base.contains("?") ? "&" : "?") + "schema=t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await TesseraDatabase.withConnection(url: schema + "&request_timeout=60") { _ in }
        let url = schema + "&request_timeout=3&statement_timeout=60"
        let app = try await TestServer.build(configure: { $0.database = url })
        try await app.application.test(.router) { client in
            // A token of ours, issued while the store answers.
            let token = try await client.execute(
                uri: "/token",
                method: .post,
                headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization()),
                body: ByteBuffer(string: "grant_type=client_credentials&scope=read")
            ) { try #require(try HTTPHelpers.json($0.body)["access_token"] as? String) }

            // Another session locks the token and session tables and keeps them until cancelled.
            let locker = PostgresDatabase(url: try PostgresURL(url), logger: Logger(label: "locker"))
            let pool = Task { await locker.client.run() }
            let locked = AsyncStream<Void>.makeStream()
            let holder = Task {
                defer { locked.continuation.finish() }
                try await locker.transaction(timeout: .seconds(120)) { session in
                    try await session.query("LOCK TABLE access_tokens, sessions IN ACCESS EXCLUSIVE MODE", logger: locker.logger)
                    locked.continuation.yield()
                    try await session.query("SELECT pg_sleep(60)", logger: locker.logger)
                }
            }
            for await _ in locked.stream { break }
            defer {
                holder.cancel()
                pool.cancel()
            }

            // The OAuth door: 503 temporarily_unavailable (RFC 6749 §4.1.2.1), not 500 server_error.
            let userInfo = try await client.execute(uri: "/userinfo", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
            #expect(userInfo.status == .serviceUnavailable)
            #expect(try HTTPHelpers.json(userInfo.body)["error"] as? String == "temporarily_unavailable")
            // The pages: the "try again later" page with 503, not the 500 "something went wrong" page.
            let account = try await client.execute(uri: "/account", method: .get, headers: [.cookie: "tessera_session=abc"]) { $0 }
            #expect(account.status == .serviceUnavailable)
            #expect(account.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }
}
