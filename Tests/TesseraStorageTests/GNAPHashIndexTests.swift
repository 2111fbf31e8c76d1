import Foundation
import GRDB
import Testing

@testable import TesseraStorage

/// Issue 22: SQLite keeps no index keyed by the random continuation and management token hashes (every lookup goes by
/// the grant's or the token's id and then compares the hash), and migration 19, which rebuilds the two GNAP tables to
/// drop them, keeps every row stored before it.
@Suite struct GNAPHashIndexTests {
    /// The columns of each index of `table`.
    /// - Parameters:
    ///   - table: The table.
    ///   - db: The connection.
    /// - Returns: One list of column names per index.
    /// - Throws: SQLite errors.
    static func indexedColumns(_ table: String, _ db: Database) throws -> [[String]] {
        try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list(?)", arguments: [table]).map { index in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [index])
        }
    }

    @Test func noIndexIsKeyedByATokenHash() throws {
        let queue = try DatabaseQueue()
        try SQLiteMigrations.migrator.migrate(queue)
        try queue.read { db in
            let grants = try Self.indexedColumns("gnap_grants", db)
            let tokens = try Self.indexedColumns("gnap_tokens", db)
            #expect(!grants.joined().contains("continuation_hash"))
            #expect(!tokens.joined().contains("management_hash"))
            // The indexes lookups use are still there.
            #expect(grants.contains(["id"]) && grants.contains(["state"]))
            #expect(tokens.contains(["manage_id"]) && tokens.contains(["grant_id"]) && tokens.contains(["jti"]))
        }
    }

    @Test func rowsStoredBeforeTheRebuildAreKept() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteMigrations.migrator.migrate(queue, upTo: "0018-gnap-grant-authenticated-at")
            try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO gnap_grants (id, state, client_key, key_thumbprint, instance_id, request, continuation_hash,
                            continue_after, subject, created_at, updated_at, expires_at, authenticated_at)
                        VALUES ('g1', 'pending', '{"proof":"httpsig"}', 't1', 'i1', '{}', 'c1', 1000, 'alice', 1000, 2000, 9000, 1500)
                        """
                )
                try db.execute(
                    sql: """
                        INSERT INTO gnap_tokens (manage_id, management_hash, grant_id, jti, label, access, flags, created_at, revoked_at)
                        VALUES ('m1', 'h1', 'g1', 'j1', 'l1', '["read"]', 'bearer', 1000, 3000)
                        """
                )
            }
        }
        try await TesseraDatabase.withConnection(url: "sqlite:\(path)") { connection in
            let stores = connection.stores
            let grant = try #require(try await stores.gnap.grant(id: "g1"))
            #expect(grant.state == .pending && grant.clientKey == #"{"proof":"httpsig"}"# && grant.keyThumbprint == "t1")
            #expect(grant.instanceID == "i1" && grant.continuationHash == "c1" && grant.subject == "alice")
            #expect(grant.createdAt == Date(millis: 1000) && grant.updatedAt == Date(millis: 2000) && grant.expiresAt == Date(millis: 9000))
            #expect(grant.authenticatedAt == Date(millis: 1500))
            let token = try #require(try await stores.gnap.token(manageID: "m1"))
            #expect(token.managementHash == "h1" && token.grantID == "g1" && token.jti == "j1" && token.label == "l1")
            #expect(token.access == #"["read"]"# && token.flags == ["bearer"] && token.revokedAt == Date(millis: 3000))
            #expect(try await stores.gnap.token(jti: "j1")?.manageID == "m1")
            // The continuation is still compare-and-swap on the hash.
            var next = grant
            next.continuationHash = "c2"
            #expect(try await !stores.gnap.updateGrant(next, expectedContinuationHash: "c0", expectedState: .pending, issued: []))
            #expect(try await stores.gnap.updateGrant(next, expectedContinuationHash: "c1", expectedState: .pending, issued: []))
        }
    }
}
