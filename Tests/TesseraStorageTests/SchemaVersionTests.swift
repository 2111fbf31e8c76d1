import Foundation
import Testing

@testable import TesseraStorage

/// `tessera migrate` prints the schema version a database is at; both backends must name the same number
/// for the same migrations (SQLite used to print how many migrations it has, one less than PostgreSQL).
@Suite struct SchemaVersionTests {
    @Test func sqliteReportsTheSameSchemaVersionAsPostgreSQL() async throws {
        let url = try StoreBackend.sqlite.freshURL()
        let version = try await TesseraDatabase.withConnection(url: url) { connection in try await connection.migrate() }
        #expect(version == Int(PostgresMigrations.latestVersion))
        #expect(version == SQLiteMigrations.latestVersion)
    }
}
