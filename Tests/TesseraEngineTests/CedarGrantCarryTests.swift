import TesseraProtocol
import Testing

@testable import TesseraEngine

/// Which Cedar rights ``CedarGrantCarry`` carries into a derived token (security review round 10, H8): per type the
/// resource server would merge, the parent's rights of each type the derived token leaves out, but only when it
/// keeps a right a default grant reads.
@Suite struct CedarGrantCarryTests {
    static func entry(_ type: String, locations: [String]? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "type": .string(type), "rarFormat": .string("cedar"), "policySet": .string("permit (principal, action, resource);"),
        ]
        if let locations { members["locations"] = .array(locations.map(JSONValue.string)) }
        return .object(members)
    }

    @Test func eachTypeLeftOutIsCarriedWhenARightOtherThanCedarIsKept() {
        #expect(CedarGrantCarry.carried(from: ["t", nil, "u", "t"], into: [nil], keepsScope: false) == [0, 2, 3])
        #expect(CedarGrantCarry.carried(from: ["t", "u"], into: ["t"], keepsScope: true) == [1])
        #expect(CedarGrantCarry.carried(from: ["t", "u"], into: ["t", nil], keepsScope: false) == [1])
    }

    @Test func aTokenOfCedarRightsOnlyIsLeftAsAsked() {
        #expect(CedarGrantCarry.carried(from: ["t", "u"], into: ["t"], keepsScope: false).isEmpty)
        #expect(CedarGrantCarry.carried(from: ["t", "u"], into: [], keepsScope: false).isEmpty)
    }

    /// Types compare byte for byte, as the enforcer compares them: a canonically equivalent spelling is another type.
    @Test func typesCompareByteForByte() {
        #expect(CedarGrantCarry.carried(from: ["caf\u{E9}"], into: ["cafe\u{301}"], keepsScope: true) == [0])
    }

    @Test func carriedEntriesLoseTheirLocationsAndNonCedarEntriesAreNotCarried() throws {
        let payment: JSONValue = .object(["type": .string("payment_initiation"), "locations": .array([.string("https://bank/")])])
        let held = [Self.entry("t", locations: ["https://api/"]), payment]
        let carried = try #require(CedarGrantCarry.carry(from: held, into: nil, keepsScope: true))
        #expect(carried == [Self.entry("t")])
        #expect(CedarGrantCarry.carry(from: held, into: nil, keepsScope: false) == nil)
        #expect(CedarGrantCarry.carry(from: nil, into: [payment], keepsScope: true) == [payment])
    }
}
