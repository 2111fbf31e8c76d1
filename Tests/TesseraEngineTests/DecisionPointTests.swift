import Cedar
import Testing

@testable import TesseraEngine

/// The one decision point (issue 19 item 2, docs/policy.md): the built-in vocabulary, the shipped
/// defaults reproducing today's rules, the owner's set beside them, and fail-closed evaluation.
@Suite struct DecisionPointTests {
    static let service = AccessQuestion.Party(id: "service-a", door: .oauth, registered: true, scopes: ["read", "write"])
    static let agent = AccessQuestion.Party(id: "agent-1", door: .gnap, registered: true, scopes: ["backup-api", "metrics"])
    static let stranger = AccessQuestion.Party(id: "jkt:abc", door: .gnap, registered: false, scopes: [])

    static func ask(
        _ point: DecisionPoint,
        _ party: AccessQuestion.Party,
        _ operation: AccessQuestion.Operation,
        _ rights: [String]
    ) -> AccessDecision {
        point.decide(AccessQuestion(party: party, operation: operation, rights: rights, door: party.door, grantType: "test"))
    }

    @Test func theVocabularyAndTheDefaultsParseAndValidate() throws {
        let schema = try #require(PolicyVocabulary.schema)
        let defaults = try PolicySet(parsing: PolicyVocabulary.defaultPoliciesText)
        #expect(defaults.policies.count == 4)
        #expect(Validator(schema: schema, mode: .strict).validate(defaults).isValid)
        // The owner's set is checked against the same words the defaults are written in.
        _ = try OwnerPolicy(text: PolicyVocabulary.defaultPoliciesText, source: "defaults-again.cedar")
    }

    /// Today's answers, one row each: OAuth scope allow-lists, GNAP `allowed_access`, person approval.
    @Test(
        arguments: [
            (service, AccessQuestion.Operation.token, ["read"], true),
            (service, .token, ["read", "write"], true),
            (service, .token, ["admin"], false),
            (service, .approve, ["write"], true),
            (service, .approve, ["admin"], false),
            (service, .refresh, ["anything"], true),
            (service, .exchange, ["anything"], true),
            (service, .redeem, ["openid"], true),
            (agent, .token, ["backup-api", "metrics"], true),
            (agent, .token, ["photos"], false),
            (agent, .approve, ["photos"], true),
            (stranger, .token, ["photos"], false),
            (stranger, .approve, ["photos"], true),
        ]
    )
    func theShippedDefaultsReproduceTodaysAnswers(
        party: AccessQuestion.Party,
        operation: AccessQuestion.Operation,
        rights: [String],
        permitted: Bool
    ) {
        let decision = Self.ask(DecisionPoint(), party, operation, rights)
        #expect(decision.isPermitted == permitted)
        #expect(decision.refusals.isEmpty, "the defaults only permit; a refusal is the owner's")
    }

    @Test func anOwnerForbidRefusesWhatTheDefaultsPermitAndIsNamed() throws {
        let owner = try OwnerPolicy(
            text: """
                @id("no-writes-for-service-a")
                forbid (principal == Client::"service-a", action, resource == Scope::"write");
                """,
            source: "owner.cedar"
        )
        let point = DecisionPoint(owner: owner)
        let decision = Self.ask(point, Self.service, .token, ["read", "write"])
        #expect(decision.permitted == ["read"])
        let refusal = try #require(decision.refusals.first)
        #expect(refusal.right == "write")
        #expect(refusal.verdict == .forbidden)
        #expect(refusal.policies.map(\.name) == ["no-writes-for-service-a"])
        #expect(refusal.policies.first?.source == "owner.cedar")
        #expect(Self.ask(point, Self.service, .refresh, ["write"]).refusals.count == 1)
    }

    @Test func anOwnerPermitAddsToTheDefaults() throws {
        let owner = try OwnerPolicy(
            text: #"permit (principal == Client::"service-a", action == Action::"token", resource == Scope::"admin");"#,
            source: "owner.cedar"
        )
        #expect(Self.ask(DecisionPoint(owner: owner), Self.service, .token, ["admin"]).isPermitted)
        let replacing = try OwnerPolicy(text: owner.text, source: "owner.cedar", includesDefaults: false)
        // Replacing the defaults: only what the owner permits.
        #expect(Self.ask(DecisionPoint(owner: replacing), Self.service, .token, ["admin"]).isPermitted)
        #expect(!Self.ask(DecisionPoint(owner: replacing), Self.service, .token, ["read"]).isPermitted)
    }

    /// Cedar skips an erroring policy, so an erroring forbid would allow; the decision point refuses.
    @Test func aPolicyThatFailsToEvaluateRefusesInsteadOfBeingSkipped() throws {
        let owner = try OwnerPolicy(
            text: #"forbid (principal, action, resource == Scope::"write") when { 9223372036854775807 + 1 > 0 };"#,
            source: "overflow.cedar"
        )
        let decision = Self.ask(DecisionPoint(owner: owner), Self.service, .token, ["read", "write"])
        #expect(decision.permitted == ["read"])
        let refusal = try #require(decision.refusals.first)
        #expect(refusal.verdict == .failed)
        #expect(refusal.errors.count == 1)
    }

    @Test func aBrokenOwnerSetIsRefusedWithEveryProblemAndItsPlace() {
        #expect {
            _ = try OwnerPolicy(
                text: "permit (principal, action, resource) when { principal.scopez.contains(resource) };",
                source: "p.cedar"
            )
        } throws: { error in
            let problems = (error as? OwnerPolicyError)?.problems ?? []
            return problems.count == 1 && problems[0].hasPrefix("p.cedar:1:1:") && problems[0].contains("scopez")
        }
        #expect {
            _ = try OwnerPolicy(text: "permit (principal, action, resource);\nforbid (principal action, resource);", source: "p.cedar")
        } throws: { error in
            ((error as? OwnerPolicyError)?.problems ?? []).first?.hasPrefix("p.cedar:2:") == true
        }
        #expect(throws: OwnerPolicyError.self) {
            _ = try OwnerPolicy(text: #"forbid (principal, action == Action::"introspect", resource);"#, source: "p.cedar")
        }
        #expect(throws: OwnerPolicyError.self) {
            _ = try OwnerPolicy(text: "permit (principal == ?principal, action, resource);", source: "p.cedar")
        }
    }
}
