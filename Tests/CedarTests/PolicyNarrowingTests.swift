// swift-format-ignore-file: NeverUseForceTry

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Cedar
import Testing

/// `Policy.narrowed(…)`: every derived policy allows at most what the original allows, and
/// formats to Cedar text that parses back to itself.
@Suite struct PolicyNarrowingTests {
    let entities = try! EntityStore(
        json:
            #"[{"uid": {"type": "User", "id": "alice"}, "parents": [{"type": "Group", "id": "staff"}], "attrs": {}}, {"uid": {"type": "User", "id": "bob"}, "parents": [], "attrs": {}}]"#
    )

    func allows(_ policy: Policy, principal: String, action: String, amount: Int64 = 5) throws -> Bool {
        let request = AuthorizationRequest(
            principal: EntityUID("User", principal),
            action: EntityUID("Action", action),
            resource: EntityUID("Doc", "d"),
            context: ["amount": .long(amount)]
        )
        return Authorizer(policies: try PolicySet(policies: [policy])).isAuthorized(request, entities: entities).decision == .allow
    }

    @Test func narrowingNeverAddsAccess() throws {
        let original = try #require(
            try PolicySet(parsing: #"permit (principal in Group::"staff", action in [Action::"read", Action::"write"], resource is Doc);"#)
                .staticPolicies.first
        )
        #expect(original.actionEntities == [EntityUID("Action", "read"), EntityUID("Action", "write")])
        #expect(original.resourceType == EntityType("Doc"))
        #expect(original.principalEntity == nil && !original.principalIsUnconstrained)
        let bound = try PolicyCondition(parsing: "context.amount <= 10")
        let narrowed = try #require(
            original.narrowed(principal: EntityUID("User", "bob"), actions: [EntityUID("Action", "read")], conditions: [bound])
        )
        let text = PolicyFormatter.format(narrowed)
        #expect(
            text == #"""
                permit (
                  principal == User::"bob",
                  action == Action::"read",
                  resource is Doc
                )
                when { principal in Group::"staff" }
                when { context.amount <= 10 };
                """#
        )
        // Pinned to bob, who is not staff: the kept `principal in` condition denies him.
        #expect(try !allows(narrowed, principal: "bob", action: "read"))
        let alice = try #require(
            original.narrowed(principal: EntityUID("User", "alice"), actions: [EntityUID("Action", "read")], conditions: [bound])
        )
        #expect(try allows(alice, principal: "alice", action: "read"))
        #expect(try !allows(alice, principal: "alice", action: "read", amount: 11))
        #expect(try !allows(alice, principal: "alice", action: "write"))
        #expect(try allows(original, principal: "alice", action: "write"))
        // Round trip through the parser.
        #expect(PolicyFormatter.format(try PolicySet(parsing: text)) == text + "\n")
    }

    /// `isNarrowing(of:)` recognizes what `narrowed` derives (also read back from its text), and nothing wider.
    @Test func aNarrowingIsRecognizedFromItsTextAndNothingWiderIs() throws {
        func policy(_ text: String) throws -> Policy { try #require(try PolicySet(parsing: text).staticPolicies.first) }
        let original = try policy(#"permit (principal in Group::"staff", action in [Action::"read", Action::"write"], resource is Doc);"#)
        let narrowed = try #require(
            original.narrowed(
                principal: EntityUID("User", "bob"),
                actions: [EntityUID("Action", "read")],
                conditions: [try PolicyCondition(parsing: "context.amount <= 10")]
            )
        )
        #expect(narrowed.isNarrowing(of: original))
        #expect(try policy(PolicyFormatter.format(narrowed)).isNarrowing(of: original))
        #expect(original.isNarrowing(of: original))
        #expect(!original.isNarrowing(of: narrowed), "the original is wider")
        // The pinned principal without the kept `principal in` condition would admit anyone pinned.
        #expect(try !policy(#"permit (principal == User::"bob", action == Action::"read", resource is Doc);"#).isNarrowing(of: original))
        #expect(
            try !policy(#"permit (principal in Group::"staff", action == Action::"delete", resource is Doc);"#).isNarrowing(of: original)
        )
        #expect(try !policy(#"permit (principal in Group::"staff", action == Action::"read", resource);"#).isNarrowing(of: original))
        // A forbid only as it is: a condition added to it would forbid less.
        let forbid = try policy(#"forbid (principal, action, resource is Doc);"#)
        #expect(forbid.isNarrowing(of: forbid))
        #expect(try !policy(#"forbid (principal, action, resource is Doc) when { context.amount > 10 };"#).isNarrowing(of: forbid))
    }

    @Test func actionsOutsideThePolicyOrEmptyAreRefused() throws {
        let policy = try #require(try PolicySet(parsing: #"permit (principal, action == Action::"read", resource);"#).staticPolicies.first)
        #expect(policy.narrowed(actions: [EntityUID("Action", "write")]) == nil)
        #expect(policy.narrowed(actions: []) == nil)
        let any = try #require(try PolicySet(parsing: "permit (principal, action, resource);").staticPolicies.first)
        #expect(any.actionEntities == nil)
        #expect(any.narrowed(actions: [EntityUID("Action", "read")]) == nil)
    }

    /// `action in [A]` names the action A itself (delegable), `action in A` may name a group (not
    /// delegable): the AST keeps the two apart, while they stay equal, evaluate alike, format as
    /// written and are written to JSON as the reference writes both (`"entity"`).
    @Test func aListOfOneActionStaysAListOfActions() throws {
        let read = EntityUID("Action", "read")
        let list = try #require(try PolicySet(parsing: #"permit (principal, action in [Action::"read"], resource);"#).staticPolicies.first)
        let group = try #require(try PolicySet(parsing: #"permit (principal, action in Action::"read", resource);"#).staticPolicies.first)
        #expect(list.actionEntities == [read])
        #expect(group.actionEntities == nil)
        #expect(list == group && list.hashValue == group.hashValue, "one meaning, one AST equality")
        #expect(PolicyFormatter.format(list).contains(#"action in [Action::"read"]"#))
        #expect(PolicyFormatter.format(group).contains(#"action in Action::"read""#))
        let json = #"{"op":"in","entity":{"type":"Action","id":"read"}}"#
        for policy in [list, group] {
            let encoded = String(try PolicySet(policies: [policy]).jsonString(pretty: false).filter { $0 != " " })
            #expect(encoded.contains(json), "\(encoded)")
        }
        for action in ["read", "write"] {
            #expect(try allows(list, principal: "bob", action: action) == allows(group, principal: "bob", action: action))
        }
        #expect(try allows(list, principal: "bob", action: "read"))
        let narrowed = try #require(list.narrowed(actions: [read]))
        #expect(narrowed.actionEntities == [read])
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
