import Foundation
import TesseraStorage
import Testing

/// What only the SQLite file backend has to show.
@Suite struct SQLiteStoreTests {
    @Test func recordsSurviveReopeningTheFile() async throws {
        let url = try StoreBackend.sqlite.freshURL()
        try await SQLiteDatabase.openStores(url: url).tokens.record(StoreFixtures.issuance(jti: "durable"))
        let reopened = try await SQLiteDatabase.openStores(url: url)
        #expect(try await reopened.tokens.accessToken(jti: "durable") != nil)
    }

    @Test func theEntryPointPicksSQLiteForSQLiteURLs() async throws {
        let connection = try await TesseraDatabase.open(url: "sqlite::memory:")
        #expect(connection.service == nil)
        #expect(connection.stores.displayName == "sqlite::memory:")
        #expect(try await connection.migrate() >= 1)
    }

    @Test func rejectsUnknownDatabaseScheme() async {
        await #expect(throws: StorageError(.invalidURL, "")) { try await TesseraDatabase.open(url: "mysql://x") }
        await #expect(throws: StorageError(.invalidURL, "")) { try await SQLiteDatabase.openStores(url: "mysql://x") }
    }
}
