import Foundation
import TesseraProtocol
import TesseraStorage
import Testing

private typealias F = StoreFixtures

/// Issue 19, "one registry": GNAP instances and resource servers are parties of the client store, on both
/// backends — stored whole, found by key, one key for one party.
@Suite struct GNAPRegistryStoreTests {
    @Test(arguments: StoreBackend.allCases)
    func gnapRegistrationsRoundTripAndAKeyBelongsToOneParty(_ backend: StoreBackend) async throws {
        try await TesseraDatabase.withConnection(url: try backend.freshURL()) { connection in
            let clients = connection.stores.clients
            var both = F.client("both")
            both.gnap = F.gnap("t1", instance: true, resourceServer: true)
            try await clients.insert(both)
            let rsOnly = ClientRecord.gnapOnly(id: "rs-only", gnap: F.gnap("t2", instance: false, resourceServer: true), createdAt: F.now)
            try await clients.insert(rsOnly)

            #expect(try await clients.client(id: "both") == both)
            #expect(try await clients.client(id: "both")?.usesOAuth == true)
            #expect(try await clients.client(gnapKeyThumbprint: "t2") == rsOnly)
            #expect(try await clients.client(gnapKeyThumbprint: "t2")?.usesOAuth == false, "a GNAP-only party is no OAuth client")
            #expect(try await clients.client(gnapKeyThumbprint: "t3") == nil)
            #expect(try await clients.client(id: "c-without-gnap") == nil)

            // One key, one party: another id cannot take a registered key, by insert or upsert.
            let thief = ClientRecord.gnapOnly(id: "thief", gnap: F.gnap("t1"), createdAt: F.now)
            await #expect(throws: StorageError.self) { try await clients.insert(thief) }
            await #expect(throws: StorageError.self) { try await clients.upsert(thief) }
            #expect(try await clients.client(gnapKeyThumbprint: "t1")?.id == "both")

            // Dropping the GNAP role frees the key; removing the party removes it from lookups.
            var oauthOnly = both
            oauthOnly.gnap = nil
            try await clients.upsert(oauthOnly)
            #expect(try await clients.client(gnapKeyThumbprint: "t1") == nil)
            try await clients.upsert(thief)
            #expect(try await clients.client(gnapKeyThumbprint: "t1")?.id == "thief")
            #expect(try await clients.remove(id: "rs-only"))
            #expect(try await clients.client(gnapKeyThumbprint: "t2") == nil)
        }
    }
}
