import TesseraProtocol
import TesseraEngine
import HTTPTypes
import Foundation
import Testing
import TesseraStorage

@Suite struct SQLiteClientStoreTests {
    @Test func insertConflictUpsertAndRemove() async throws {
        let stores = try await SQLiteDatabase.openStores(url: "sqlite::memory:")
        let record = ClientRecord(id: "c1", authMethod: .clientSecretBasic, secretHash: "h", grantTypes: [.clientCredentials], scopes: ["a", "b"], createdAt: Date())
        try await stores.clients.insert(record)
        await #expect(throws: StorageError.self) { try await stores.clients.insert(record) }
        var changed = record
        changed.scopes = ["a"]
        try await stores.clients.upsert(changed)
        #expect(try await stores.clients.client(id: "c1")?.scopes == ["a"])
        #expect(try await stores.clients.all().map(\.id) == ["c1"])
        #expect(try await stores.clients.remove(id: "c1"))
        #expect(try await !stores.clients.remove(id: "c1"))
    }

    @Test func keysAreListedNewestFirstAndRetired() async throws {
        let stores = try await SQLiteDatabase.openStores(url: "sqlite::memory:")
        let old = SigningKeyRecord(kid: "old", algorithm: "ES256", privateJWK: "{}", publicJWK: "{}", createdAt: Date(timeIntervalSince1970: 1))
        let new = SigningKeyRecord(kid: "new", algorithm: "ES256", privateJWK: "{}", publicJWK: "{}", createdAt: Date(timeIntervalSince1970: 2))
        try await stores.keys.insert(old)
        try await stores.keys.insert(new)
        try await stores.keys.retireAll(except: "new", at: Date(timeIntervalSince1970: 3))
        let keys = try await stores.keys.all()
        #expect(keys.map(\.kid) == ["new", "old"])
        #expect(keys[0].retiredAt == nil && keys[1].retiredAt != nil)
    }
}
