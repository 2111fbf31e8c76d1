import Cedar
import TesseraProtocol
import Testing

@testable import TesseraEngine

/// Routing a grant to its resource owner asks a bounded number of decisions (docs/SECURITY.md, "Routing
/// cannot be made to ask one decision per right and named person"): only the people named by policies that
/// can decide a right are asked about it, a right stops at its second allowed person, the request stops at its
/// second owner, and past ``OwnerRouting/decisionBudget`` the request is refused. Counted, never timed.
@Suite struct OwnerRoutingBudgetTests {
    static let stranger = AccessQuestion.Party(id: "stranger", door: .gnap, registered: false, scopes: [])

    /// One owner per right, as in docs/policy.md's routing example, `count` times over.
    static func onePersonPerRight(_ count: Int) throws -> DecisionPoint {
        let text = (0..<count).map { i in
            """
            forbid (principal, action == Action::"approve", resource == Scope::"r\(i)") \
            when { context has user && context.user != User::"u\(i)" };
            """
        }
        .joined(separator: "\n")
        return DecisionPoint(owner: try OwnerPolicy(text: text, source: "owner.cedar"), issuer: "https://as.example")
    }

    static func question(_ rights: [String]) -> AccessQuestion {
        AccessQuestion(party: stranger, operation: .approve, rights: rights, door: .gnap, grantType: "gnap")
    }

    @Test func manyRightsOfManyOwnersStopAtTheSecondOwner() throws {
        let point = try Self.onePersonPerRight(2_000)
        #expect(point.namedPeople.count == 2_000)
        var routing = OwnerRouting(decisions: point, configuredOwners: [])
        #expect(throws: GNAPError.self) { try routing.owner(of: Self.question((0..<500).map { "r\($0)" })) }
        // r0: anyone else, then u0 alone; r1: anyone else, then u1, a second owner.
        #expect(routing.asked == 4, "\(routing.asked) decisions")
    }

    @Test func aRightAsksOnlyThePeopleNamedForIt() throws {
        let point = try Self.onePersonPerRight(2_000)
        var routing = OwnerRouting(decisions: point, configuredOwners: [])
        #expect(try routing.owner(of: Self.question(["r7", "r7", "albums"])) == "u7")
        // r7: anyone else, then u7; albums: anyone else may approve it.
        #expect(routing.asked == 3, "\(routing.asked) decisions")
    }

    @Test func pastTheBudgetTheRequestIsRefused() throws {
        var text = """
            forbid (principal, action == Action::"approve", resource) when { context has user && context.user != User::"boss" };

            """
        for i in 0..<1_500 {
            text += "forbid (principal, action, resource) when { context has user && context.user == User::\"x\(i)\" };\n"
        }
        let point = DecisionPoint(owner: try OwnerPolicy(text: text, source: "owner.cedar"), issuer: "https://as.example")
        var routing = OwnerRouting(decisions: point, configuredOwners: [])
        do {
            _ = try routing.owner(of: Self.question(["a", "b"]))
            Issue.record("routing past its budget must be refused")
        } catch {
            #expect(error.code == .requestDenied)
            #expect(error.message.contains("too many"), "\(error.message)")
        }
        #expect(routing.asked <= OwnerRouting.decisionBudget, "\(routing.asked) decisions")
    }
}
