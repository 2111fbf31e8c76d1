import Cedar
import TesseraProtocol
import Testing

@testable import TesseraEngine

/// Where ``CedarForbidCarry`` puts the forbids a derived set must keep (security review round 10, H1): in a kept
/// entry the resource server merges them with, for every set of accepted types, never as an entry of its own.
@Suite struct CedarForbidCarryTests {
    typealias Entry = CedarForbidCarry.Entry
    static let permitA = #"permit (principal, action == A::Action::"read", resource);"#
    static let permitB = #"permit (principal, action == A::Action::"write", resource);"#
    static let forbid = #"forbid (principal, action == A::Action::"write", resource == A::Doc::"secret");"#

    static func forbids(_ entry: Entry?) -> Int {
        ((try? PolicySet(parsing: entry?.policySet ?? ""))?.staticPolicies ?? []).filter { $0.effect == .forbid }.count
    }

    @Test func aForbidGoesToTheFirstKeptEntryOfItsType() {
        let held = [Entry(type: "t", policySet: Self.permitA), Entry(type: "t", policySet: Self.permitB + "\n" + Self.forbid)]
        let kept: [Entry?] = [nil, Entry(type: "t", policySet: Self.permitA), Entry(type: "t", policySet: Self.permitA)]
        let carried = CedarForbidCarry.carry(from: held, into: kept)
        #expect(carried[0] == nil)
        #expect(Self.forbids(carried[1]) == 1)
        #expect(carried[2] == kept[2], "one entry of the type suffices: the RS merges them all")
    }

    @Test func aForbidOfATypeNotKeptGoesToEveryKeptType() {
        let held = [Entry(type: "u", policySet: Self.permitB + "\n" + Self.forbid)]
        let kept: [Entry?] = [Entry(type: "t", policySet: Self.permitA), Entry(type: "v", policySet: Self.permitA)]
        let carried = CedarForbidCarry.carry(from: held, into: kept)
        #expect(Self.forbids(carried[0]) == 1 && Self.forbids(carried[1]) == 1)
    }

    @Test func aForbidAlreadyKeptIsNotAddedAgainAndPermitsAreNeverCarried() {
        let held = [Entry(type: "t", policySet: Self.permitB + "\n" + Self.forbid)]
        let kept: [Entry?] = [Entry(type: "t", policySet: Self.permitA + "\n" + Self.forbid)]
        #expect(CedarForbidCarry.carry(from: held, into: kept) == kept)
        let none: [Entry?] = [Entry(type: "t", policySet: Self.permitA)]
        let carried = CedarForbidCarry.carry(from: [Entry(type: "t", policySet: Self.permitB)], into: none)
        #expect(carried == none)
    }

    @Test func jsonEntriesKeepTheirOtherMembers() {
        let e1: JSONValue = .object([
            "type": .string("t"), "rarFormat": .string("cedar"), "policySet": .string(Self.permitA),
            "locations": .array([.string("https://api.example/")]),
        ])
        let e2: JSONValue = .object(["type": .string("t"), "rarFormat": .string("cedar"), "policySet": .string(Self.forbid)])
        let plain: JSONValue = .object(["type": .string("plain"), "actions": .array([.string("read")])])
        let carried = CedarForbidCarry.carry(from: [e1, e2, plain], into: [plain, e1])
        #expect(carried[0] == plain)
        guard case .object(let members) = carried[1] else {
            Issue.record("not an object")
            return
        }
        #expect(members["locations"] == .array([.string("https://api.example/")]))
        #expect(Self.forbids(CedarForbidCarry.entry(carried[1])) == 1)
    }
}
