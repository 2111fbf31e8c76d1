import Cedar
import Testing

/// `Policy.narrowed(…)`: every derived policy allows at most what the original allows, and
/// formats to Cedar text that parses back to itself.
@Suite struct PolicyNarrowingTests {
    let entities = try! EntityStore(
        json: #"[{"uid": {"type": "User", "id": "alice"}, "parents": [{"type": "Group", "id": "staff"}], "attrs": {}}, {"uid": {"type": "User", "id": "bob"}, "parents": [], "attrs": {}}]"#
    )

    func allows(_ policy: Policy, principal: String, action: String, amount: Int64 = 5) throws -> Bool {
        let request = AuthorizationRequest(
            principal: EntityUID("User", principal), action: EntityUID("Action", action), resource: EntityUID("Doc", "d"),
            context: ["amount": .long(amount)]
        )
        return Authorizer(policies: try PolicySet(policies: [policy])).isAuthorized(request, entities: entities).decision == .allow
    }

    @Test func narrowingNeverAddsAccess() throws {
        let original = try #require(
            try PolicySet(parsing: #"permit (principal in Group::"staff", action in [Action::"read", Action::"write"], resource is Doc);"#).staticPolicies.first
        )
        #expect(original.actionEntities == [EntityUID("Action", "read"), EntityUID("Action", "write")])
        #expect(original.resourceType == EntityType("Doc"))
        #expect(original.principalEntity == nil && !original.principalIsUnconstrained)
        let bound = try PolicyCondition(parsing: "context.amount <= 10")
        let narrowed = try #require(original.narrowed(principal: EntityUID("User", "bob"), actions: [EntityUID("Action", "read")], conditions: [bound]))
        let text = PolicyFormatter.format(narrowed)
        #expect(text == #"""
            permit (
              principal == User::"bob",
              action == Action::"read",
              resource is Doc
            )
            when { principal in Group::"staff" }
            when { context.amount <= 10 };
            """#)
        // Pinned to bob, who is not staff: the kept `principal in` condition denies him.
        #expect(try !allows(narrowed, principal: "bob", action: "read"))
        let alice = try #require(original.narrowed(principal: EntityUID("User", "alice"), actions: [EntityUID("Action", "read")], conditions: [bound]))
        #expect(try allows(alice, principal: "alice", action: "read"))
        #expect(try !allows(alice, principal: "alice", action: "read", amount: 11))
        #expect(try !allows(alice, principal: "alice", action: "write"))
        #expect(try allows(original, principal: "alice", action: "write"))
        // Round trip through the parser.
        #expect(PolicyFormatter.format(try PolicySet(parsing: text)) == text + "\n")
    }

    @Test func actionsOutsideThePolicyOrEmptyAreRefused() throws {
        let policy = try #require(try PolicySet(parsing: #"permit (principal, action == Action::"read", resource);"#).staticPolicies.first)
        #expect(policy.narrowed(actions: [EntityUID("Action", "write")]) == nil)
        #expect(policy.narrowed(actions: []) == nil)
        let any = try #require(try PolicySet(parsing: "permit (principal, action, resource);").staticPolicies.first)
        #expect(any.actionEntities == nil)
        #expect(any.narrowed(actions: [EntityUID("Action", "read")]) == nil)
    }

    @Test func conditionsMustBeOneExpression() {
        #expect(throws: CedarParseError.self) { try PolicyCondition(parsing: "true }; permit(principal, action, resource) when { true") }
        #expect(throws: CedarParseError.self) { try PolicyCondition(parsing: "context.amount <=") }
        #expect((try? PolicyCondition(parsing: "context.amount <= 10"))?.description == "context.amount <= 10")
    }

    @Test func setsOfPoliciesRejectDuplicateIDs() throws {
        let policy = try #require(try PolicySet(parsing: "permit (principal, action, resource);").staticPolicies.first)
        #expect(throws: CedarParseError.self) { try PolicySet(policies: [policy, policy]) }
        let renamed = try #require(policy.narrowed(id: "other"))
        #expect(try PolicySet(policies: [policy, renamed]).staticPolicies.map(\.id) == ["policy0", "other"])
    }
}
