import Testing

@testable import Cedar

@Suite struct AuthorizerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var policies: String
        var principal: String
        var action: String
        var context: [CedarString: CedarValue] = [:]
        var decision: AuthorizationResponse.Decision
        var reasons: Set<String>
        var errors: Set<String> = []
        var testDescription: String { name }
    }

    /// The digest's worked examples E1–E10 (verified against the reference engine).
    static let cases: [Case] = [
        Case(
            name: "E1 allow",
            policies: #"permit(principal in Group::"staff", action in Action::"read", resource in Folder::"shared");"#,
            principal: "alice",
            action: "view",
            decision: .allow,
            reasons: ["policy0"]
        ),
        Case(
            name: "E1 deny",
            policies: #"permit(principal in Group::"staff", action in Action::"read", resource in Folder::"shared");"#,
            principal: "alice",
            action: "delete",
            decision: .deny,
            reasons: []
        ),
        Case(
            name: "E2 forbid",
            policies:
                #"permit(principal, action, resource); forbid(principal, action == Action::"delete", resource) unless { context.mfa == true };"#,
            principal: "alice",
            action: "delete",
            context: ["mfa": .bool(false)],
            decision: .deny,
            reasons: ["policy1"]
        ),
        Case(
            name: "E2 mfa",
            policies:
                #"permit(principal, action, resource); forbid(principal, action == Action::"delete", resource) unless { context.mfa == true };"#,
            principal: "alice",
            action: "delete",
            context: ["mfa": .bool(true)],
            decision: .allow,
            reasons: ["policy0"]
        ),
        Case(
            name: "E3 owner",
            policies:
                #"permit(principal, action, resource) when { principal.level > 5 }; permit(principal, action == Action::"view", resource) when { resource has owner && resource.owner == principal };"#,
            principal: "bob",
            action: "view",
            decision: .allow,
            reasons: ["policy1"]
        ),
        Case(
            name: "E3 missing entity",
            policies:
                #"permit(principal, action, resource) when { principal.level > 5 }; permit(principal, action == Action::"view", resource) when { resource has owner && resource.owner == principal };"#,
            principal: "carol",
            action: "view",
            decision: .deny,
            reasons: [],
            errors: ["policy0"]
        ),
        Case(
            name: "E4 erroring forbid is skipped",
            policies: #"permit(principal, action, resource); forbid(principal, action, resource) when { context.risk > 50 };"#,
            principal: "alice",
            action: "view",
            decision: .allow,
            reasons: ["policy0"],
            errors: ["policy1"]
        ),
        Case(
            name: "E5 is in",
            policies: #"permit(principal is User in Group::"admins", action, resource is Doc);"#,
            principal: "alice",
            action: "view",
            decision: .allow,
            reasons: ["policy0"]
        ),
        Case(
            name: "E5 not in",
            policies: #"permit(principal is User in Group::"admins", action, resource is Doc);"#,
            principal: "bob",
            action: "view",
            decision: .deny,
            reasons: []
        ),
        Case(
            name: "E6 extensions",
            policies:
                #"permit(principal, action == Action::"view", resource) when { principal has email && principal.email like "*@corp.example" && context.ip.isInRange(ip("10.0.0.0/8")) && resource.score.greaterThanOrEqual(decimal("0.9")) };"#,
            principal: "alice",
            action: "view",
            context: ["ip": Fixture.extensionValue(.ip, "10.1.2.3")],
            decision: .allow,
            reasons: ["policy0"]
        ),
        Case(
            name: "E7 datetime",
            policies:
                #"permit(principal, action, resource) when { context.now < datetime("2026-01-01T00:00:00Z").offset(duration("30d")) && context.now.toTime() >= duration("9h") };"#,
            principal: "alice",
            action: "view",
            context: ["now": Fixture.extensionValue(.datetime, "2026-01-15T10:30:00+0100")],
            decision: .allow,
            reasons: ["policy0"]
        ),
        Case(
            name: "E8 tags",
            policies:
                #"permit(principal, action, resource) when { principal.hasTag("clearance") && principal.getTag("clearance") == "secret" };"#,
            principal: "bob",
            action: "view",
            decision: .allow,
            reasons: ["policy0"]
        ),
        Case(
            name: "E9 overflow",
            policies:
                #"permit(principal, action, resource) when { principal.level * 9223372036854775807 > 0 }; permit(principal, action, resource) when { principal.level + 1 == 8 };"#,
            principal: "alice",
            action: "view",
            decision: .allow,
            reasons: ["policy1"],
            errors: ["policy0"]
        ),
        Case(
            name: "E10 short circuit",
            policies:
                #"permit(principal in Group::"staff", action, resource); permit(principal, action, resource) when { principal has dept || principal.dept == "x" };"#,
            principal: "carol",
            action: "view",
            decision: .deny,
            reasons: [],
            errors: ["policy1"]
        ),
        Case(
            name: "forbid overrides permit",
            policies: "permit(principal, action, resource); forbid(principal, action, resource);",
            principal: "alice",
            action: "view",
            decision: .deny,
            reasons: ["policy1"]
        ),
        Case(
            name: "empty action list never matches",
            policies: "permit(principal, action in [], resource);",
            principal: "alice",
            action: "view",
            decision: .deny,
            reasons: []
        ),
        Case(
            name: "non-bool condition is an error",
            policies: "permit(principal, action, resource) when { 1 };",
            principal: "alice",
            action: "view",
            decision: .deny,
            reasons: [],
            errors: ["policy0"]
        ),
        Case(
            name: "unmatched scope hides condition errors",
            policies: #"permit(principal == User::"bob", action, resource) when { 1 };"#,
            principal: "alice",
            action: "view",
            decision: .deny,
            reasons: []
        ),
        Case(
            name: "unlinked template is ignored",
            policies: "permit(principal == ?principal, action, resource); permit(principal, action, resource);",
            principal: "alice",
            action: "view",
            decision: .allow,
            reasons: ["policy1"]
        ),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) throws {
        let r = try Fixture.authorize(c.policies, Fixture.request(c.principal, c.action, context: c.context))
        #expect(r.decision == c.decision)
        #expect(r.diagnostics.reasons == c.reasons)
        #expect(Set(r.diagnostics.errors.map(\.policyID)) == c.errors)
    }

    @Test func linkedTemplateBehavesLikeStaticPolicy() throws {
        var set = try PolicySet(parsing: "permit(principal == ?principal, action, resource in ?resource);")
        try set.link(
            template: "policy0",
            newID: "link1",
            values: [.principal: EntityUID("User", "alice"), .resource: EntityUID("Folder", "shared")]
        )
        let r = Authorizer(policies: set).isAuthorized(Fixture.request("alice", "view"), entities: Fixture.store)
        #expect(r.decision == .allow)
        #expect(r.diagnostics.reasons == ["link1"])
        #expect(throws: CedarParseError.self) {
            try set.link(
                template: "policy0",
                newID: "link1",
                values: [.principal: EntityUID("User", "bob"), .resource: EntityUID("Doc", "x")]
            )
        }
        #expect(throws: CedarParseError.self) {
            try set.link(template: "policy0", newID: "link2", values: [.principal: EntityUID("User", "bob")])
        }
    }

    @Test func indexSkipsOnlyPoliciesThatCannotMatch() throws {
        var text = ""
        for i in 0..<200 { text += #"permit(principal == User::"u\#(i)", action, resource);"# + "\n" }
        text += #"permit(principal in Group::"staff", action == Action::"view", resource is Doc);"# + "\n"
        text += #"forbid(principal is User, action in [Action::"delete"], resource);"# + "\n"
        let set = try PolicySet(parsing: text)
        let a = Authorizer(policies: set)
        #expect(a.isAuthorized(Fixture.request("alice", "view"), entities: Fixture.store).diagnostics.reasons == ["policy200"])
        #expect(a.isAuthorized(Fixture.request("alice", "delete"), entities: Fixture.store).diagnostics.reasons == ["policy201"])
        let u7 = AuthorizationRequest(
            principal: EntityUID("User", "u7"),
            action: EntityUID("Action", "read"),
            resource: EntityUID("X", "y")
        )
        #expect(a.isAuthorized(u7, entities: Fixture.store).diagnostics.reasons == ["policy7"])
    }
}
