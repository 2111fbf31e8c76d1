import Foundation
import TesseraStorage
import Testing

/// The first key as one claimed step, and private keys rewritten in place (encryption at rest), on both backends.
@Suite struct KeyStoreClaimTests {
    typealias F = StoreFixtures

    @Test(arguments: StoreBackend.allCases)
    func ofManyFirstKeysRacingExactlyOneIsStored(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let inserted = try await StoreConformanceTests.race(16) { index in
                try await stores.keys.insertFirst(F.key("first-\(index)", created: Double(index)))
            }
            #expect(inserted.filter { $0 }.count == 1)
            #expect(try await stores.keys.all().count == 1)
            #expect(try await !stores.keys.insertFirst(F.key("late", created: 99)))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aPrivateKeyIsReplacedInPlaceAndFreedSpaceErased(_ backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.keys.insert(F.key("k", created: 1))
            #expect(try await stores.keys.replacePrivateJWK(kid: "k", with: "tessera-kek:v1:00:sealed"))
            #expect(try await !stores.keys.replacePrivateJWK(kid: "missing", with: "x"))
            try await stores.keys.eraseReplacedKeyMaterial()
            #expect(try await stores.keys.all().first?.privateJWK == "tessera-kek:v1:00:sealed")
        }
    }
}
