import Foundation
import Testing

@testable import TesseraEngine

/// Identifiers that are not secrets sort by creation time (so they share index pages); secrets stay 256 random bits.
@Suite struct IdentifierTests {
    @Test func sortableIdentifiersCarryTheMillisecondAndEightyRandomBits() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.123)
        let first = TokenIssuer.sortableIdentifier(at: date)
        let second = TokenIssuer.sortableIdentifier(at: date)
        #expect(first.count == 32 && second.count == 32)
        #expect(first.allSatisfy { "0123456789abcdef".contains($0) })
        // The first 12 hex digits are the Unix time in milliseconds.
        #expect(UInt64(first.prefix(12), radix: 16) == 1_795_000_000_123)
        #expect(first.prefix(12) == second.prefix(12))
        // The rest is random: two ids made in the same millisecond differ.
        #expect(first.dropFirst(12) != second.dropFirst(12))
    }

    @Test func laterIdentifiersSortAfterEarlierOnes() {
        let ids = (0..<50).map { TokenIssuer.sortableIdentifier(at: Date(timeIntervalSince1970: 1_795_000_000 + Double($0) * 0.001)) }
        #expect(ids == ids.sorted())
    }

    @Test func secretsAreTwoHundredFiftySixRandomBitsAndNeverRepeat() {
        let secrets = (0..<2_000).map { _ in TokenIssuer.randomIdentifier() }
        #expect(Set(secrets).count == secrets.count)
        #expect(secrets.allSatisfy { $0.count == 43 })
        // Nothing time-like at the front: first characters spread over the base64url alphabet.
        #expect(Set(secrets.map(\.first)).count > 40)
        let handles = (0..<2_000).map { _ in TokenIssuer.randomHandle() }
        #expect(Set(handles).count == handles.count && handles.allSatisfy { $0.count == 32 })
    }
}
