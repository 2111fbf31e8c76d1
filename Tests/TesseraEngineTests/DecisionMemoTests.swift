import TesseraProtocol
import Testing

@testable import TesseraEngine

/// Issue 22: the decision point answers a question it was asked before from its memo, with the answer evaluating it
/// again would give; the memo is its own policy set's only, and a change to any part of the question (the client's
/// registered scope included) is a new question.
@Suite struct DecisionMemoTests {
    static let service = AccessQuestion.Party(id: "service-a", door: .oauth, registered: true, scopes: ["read", "write"])

    static func question(_ party: AccessQuestion.Party = service, rights: [String] = ["read"]) -> AccessQuestion {
        AccessQuestion(party: party, operation: .token, rights: rights, door: .oauth, grantType: "client_credentials")
    }

    @Test func aRepeatedQuestionGetsTheAnswerAFreshEvaluationGives() {
        let point = DecisionPoint()
        let first = point.decide(Self.question())
        #expect(point.memo.count == 1)
        let again = point.decide(Self.question())
        #expect(point.memo.count == 1)
        #expect(again == first)
        #expect(again == DecisionPoint().decide(Self.question()))
        #expect(again.isPermitted)
    }

    @Test func anotherPolicySetNeverAnswersFromTheFirstOnesMemo() throws {
        let permissive = DecisionPoint()
        #expect(permissive.decide(Self.question(rights: ["write"])).isPermitted)
        let owner = try OwnerPolicy(
            text: """
                @id("no-writes")
                forbid (principal, action, resource == Scope::"write");
                """,
            source: "owner.cedar"
        )
        // Policies loaded anew: a new decision point, a new memo.
        let strict = DecisionPoint(owner: owner)
        #expect(strict.memo.count == 0)
        let refused = strict.decide(Self.question(rights: ["write"]))
        #expect(!refused.isPermitted)
        #expect(refused.refusals.first?.policies.map(\.name) == ["no-writes"])
        #expect(permissive.decide(Self.question(rights: ["write"])).isPermitted)
    }

    @Test func aClientWhoseRegisteredScopeChangedIsAskedAgain() {
        let point = DecisionPoint()
        #expect(point.decide(Self.question(rights: ["write"])).isPermitted)
        var narrowed = Self.service
        narrowed.scopes = ["read"]
        #expect(!point.decide(Self.question(narrowed, rights: ["write"])).isPermitted)
        #expect(point.memo.count == 2)
    }

    @Test func chainedAndLargeQuestionsAreNotKept() {
        let point = DecisionPoint()
        var chained = Self.question()
        chained.chaining = ["issuer": .string("https://peer.example")]
        _ = point.decide(chained)
        let many = (0...DecisionMemo.largestQuestion).map { "scope-\($0)" }
        #expect(!point.decide(Self.question(rights: many)).isPermitted)
        let long = String(repeating: "x", count: DecisionMemo.largestText + 1)
        #expect(!point.decide(Self.question(rights: [long])).isPermitted)
        #expect(point.memo.count == 0)
    }

    @Test func theMemoStartsOverWhenFull() {
        let point = DecisionPoint()
        for index in 0..<DecisionMemo.capacity { _ = point.decide(Self.question(rights: ["r\(index)"])) }
        #expect(point.memo.count == DecisionMemo.capacity)
        _ = point.decide(Self.question(rights: ["one-more"]))
        #expect(point.memo.count == 1)
    }

    /// Swift's `==` says `"\u{212A}YC"` (KELVIN SIGN) is `"KYC"`; Cedar's byte compare says it is not. Asked first, the
    /// look-alike's permit must not become the answer for the right an owner forbids.
    @Test func aLookAlikeRightNeverAnswersForTheRightItResembles() throws {
        let owner = try OwnerPolicy(
            text: """
                @id("no-kyc")
                forbid (principal, action, resource == Scope::"KYC");
                """,
            source: "owner.cedar"
        )
        // Registered for the look-alike only (a Swift `Set` would keep one of the two).
        let party = AccessQuestion.Party(id: "service-a", door: .oauth, registered: true, scopes: ["\u{212A}YC"])
        let point = DecisionPoint(owner: owner)
        #expect(point.decide(Self.question(party, rights: ["\u{212A}YC"])).isPermitted)
        #expect(!point.decide(Self.question(party, rights: ["KYC"])).isPermitted)
        #expect(point.memo.count == 0)
    }
}
