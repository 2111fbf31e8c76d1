import Foundation
import TesseraStorage
import Testing

/// What only PostgreSQL has to show: several Tessera instances (separate pools) on one database,
/// migrations started at once, failing fast when the server is away, and URLs that keep passwords out of logs.
@Suite struct PostgresInstancesTests {
    typealias F = StoreFixtures

    /// Two separately opened connections — two instances — on one fresh schema.
    static func withTwoInstances(_ body: @Sendable (Stores, Stores) async throws -> Void) async throws {
        let url = try StoreBackend.postgres.freshURL()
        try await TesseraDatabase.withConnection(url: url) { first in
            try await TesseraDatabase.withConnection(url: url) { second in
                try await body(first.stores, second.stores)
            }
        }
    }

    @Test func twoInstancesRacingOnOneRefreshTokenHaveExactlyOneWinner() async throws {
        try await Self.withTwoInstances { first, second in
            for round in 0..<5 {
                let hash = "shared-\(round)"
                try await first.tokens.record(F.issuance(jti: "seed-\(round)", grant: "g\(round)", refreshHash: hash))
                let outcomes = try await StoreConformanceTests.race(16) { index in
                    let instance = index.isMultiple(of: 2) ? first : second
                    return try await instance.tokens.rotateRefreshToken(
                        hash: hash,
                        at: F.now,
                        replacement: F.issuance(jti: "r\(round)-\(index)", grant: "g\(round)", refreshHash: "n\(round)-\(index)")
                    )
                }
                #expect(outcomes.filter { $0 == .rotated }.count == 1, "round \(round): \(outcomes)")
                #expect(outcomes.filter { $0 == .reuseDetected(grantID: "g\(round)") }.count == 15)
            }
        }
    }

    @Test func twoInstancesRacingOnOneReplayValueHaveExactlyOneWinner() async throws {
        try await Self.withTwoInstances { first, second in
            for round in 0..<5 {
                let accepted = try await StoreConformanceTests.race(16) { index in
                    let instance = index.isMultiple(of: 2) ? first : second
                    return try await instance.replay.insertIfAbsent(
                        namespace: "client_assertion",
                        value: "jti-\(round)",
                        expiresAt: F.now.addingTimeInterval(60),
                        now: F.now
                    )
                }
                #expect(accepted.filter { $0 }.count == 1, "round \(round)")
            }
        }
    }

    @Test func whatOneInstanceWritesTheOtherReads() async throws {
        try await Self.withTwoInstances { first, second in
            try await first.tokens.record(F.issuance(jti: "shared", refreshHash: "shared-r"))
            #expect(try await second.tokens.accessToken(jti: "shared")?.isActive(at: F.now) == true)
            #expect(try await second.tokens.revokeAccessToken(jti: "shared", at: F.now))
            #expect(try await first.tokens.accessToken(jti: "shared")?.isActive(at: F.now) == false)
        }
    }

    @Test func instancesStartingAtOnceMigrateOnce() async throws {
        let url = try StoreBackend.postgres.freshURL()
        let versions = try await StoreConformanceTests.race(4) { _ in
            try await TesseraDatabase.withConnection(url: url) { connection in try await connection.migrate() }
        }
        #expect(Set(versions).count == 1)
        // Migrating again is a no-op that reports the same version.
        let again = try await TesseraDatabase.withConnection(url: url) { connection in try await connection.migrate() }
        #expect(again == versions.first)
    }

    @Test func anUnreachableServerFailsFastAsUnavailable() async throws {
        // Port 1 on loopback: nothing listens, connections are refused.
        let url = "postgres://tessera:secret-password@127.0.0.1:1/tessera?sslmode=disable&request_timeout=1&connect_timeout=1"
        // A deadline of 1 s; the bound allows for a machine loaded by the tests running beside this one
        // (the end-to-end outage test measures the real figure in a process of its own: 2.0 s for 2 s).
        // In the full suite on 2 cores the cooperative pool is shared with hundreds of tests: one run
        // measured 10.2 s here while end-to-end tests still waited on child processes on pool threads,
        // and 6.4 and 7.3 s once they no longer did (the CPU-bound tests beside it remain), so the
        // bound stays 30 s, which still tells "fails" from "hangs". Without the deadline each call
        // would wait for a connection until the pool gave up: never.
        try await TesseraDatabase.withConnection(url: url, migrate: false) { connection in
            var started = ContinuousClock.now
            await #expect(throws: StorageError(.unavailable, "")) { try await connection.stores.tokens.accessToken(jti: "x") }
            #expect(ContinuousClock.now - started < .seconds(30), "a read took \(ContinuousClock.now - started)")
            started = ContinuousClock.now
            await #expect(throws: StorageError(.unavailable, "")) { try await connection.stores.tokens.record(F.issuance()) }
            #expect(ContinuousClock.now - started < .seconds(30), "a write took \(ContinuousClock.now - started)")
            started = ContinuousClock.now
            #expect(await connection.stores.health() == false)
            #expect(ContinuousClock.now - started < .seconds(30), "a health check took \(ContinuousClock.now - started)")
        }
    }

    @Test func displayNamesNeverHoldThePassword() async throws {
        let url = "postgres://tessera:p%40ss-w0rd@db.internal:6543/tessera?sslmode=disable"
        let connection = try await TesseraDatabase.open(url: url)
        #expect(connection.stores.displayName == "postgres://tessera@db.internal:6543/tessera")
        #expect(!TesseraDatabase.displayName(of: url).contains("w0rd"))
        #expect(!TesseraDatabase.displayName(of: "postgresql://u:hunter2@").contains("hunter2"))
        #expect(TesseraDatabase.displayName(of: "sqlite:/tmp/x.sqlite") == "sqlite:/tmp/x.sqlite")
    }

    @Test(arguments: [
        "postgres://host/db",  // no user
        "postgres://u:p@/db",  // no host
        "postgres://u:p@h:5432",  // no database
        "postgres://u:p@h/db?sslmode=maybe",
        "postgres://u:p@h/db?schema=Bad-Name",
        "postgres://u:p@h/db?max_connections=0",
        "postgres://u:p@h/db?colour=blue",
        "mysql://u:p@h/db",
    ])
    func malformedURLsAreRejectedWithoutEchoingThePassword(_ url: String) async throws {
        do {
            _ = try await TesseraDatabase.open(url: url)
            Issue.record("\(url) was accepted")
        } catch let error as StorageError {
            #expect(error.code == .invalidURL)
            #expect(!error.description.contains(":p@"))
        }
    }
}
