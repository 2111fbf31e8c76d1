import Foundation
import Logging
import PostgresNIO
import Testing

@testable import TesseraStorage

/// A store call answers at its deadline even when its statement is stuck on the server and cannot be
/// cancelled from the client (waiting on a lock, or on a server that stopped answering mid-statement).
@Suite struct PostgresDeadlineTests {
    @Test func aStatementStuckOnTheServerStillAnswersAtTheDeadline() async throws {
        // A 5 s request deadline; the server itself would let the statement wait 60 s. (1 s was too short for the
        // migrations that open the store on a loaded machine: one ran past it and the store then failed fast.)
        let url = try StoreBackend.postgres.freshURL() + "&request_timeout=5&statement_timeout=60"
        try await TesseraDatabase.withConnection(url: url) { connection in
            // Another session takes an exclusive lock on the token table and keeps it until cancelled.
            let locker = PostgresDatabase(url: try PostgresURL(url), logger: Logger(label: "locker"))
            let pool = Task { await locker.client.run() }
            let locked = AsyncStream<Void>.makeStream()
            let holder = Task {
                // If the lock cannot be taken, the wait below ends and the read finds no lock (the test fails).
                defer { locked.continuation.finish() }
                try await locker.transaction(timeout: .seconds(120)) { session in
                    try await session.query("LOCK TABLE access_tokens IN ACCESS EXCLUSIVE MODE", logger: locker.logger)
                    locked.continuation.yield()
                    try await session.query("SELECT pg_sleep(60)", logger: locker.logger)
                }
            }
            for await _ in locked.stream { break }
            defer {
                holder.cancel()
                pool.cancel()
            }

            // The read waits on the lock, on the wire: it must come back as unavailable at the deadline, not
            // when the lock goes (a minute later). The bound allows for a loaded machine (PostgresInstancesTests).
            let started = ContinuousClock.now
            await #expect(throws: StorageError(.unavailable, "")) { try await connection.stores.tokens.accessToken(jti: "stuck") }
            let took = ContinuousClock.now - started
            #expect(took < .seconds(30), "the stuck read took \(took)")
        }
    }
}
