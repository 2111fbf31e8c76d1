import Testing

@testable import Cedar

@Suite struct ParserTests {
    /// Texts the reference rejects (digest §3).
    @Test(arguments: [
        "permit(principal, action, resource) /* c */;",
        "PERMIT(principal, action, resource);",
        "allow(principal, action, resource);",
        "permit(principal, action, resource) when { };",
        "permit(principal, action, resource) if { true };",
        "permit(action, principal, resource);",
        "permit(principal, action);",
        "permit(principal, action, resource, context);",
        "permit(principal <= User::\"a\", action, resource);",
        "permit(principal = User::\"a\", action, resource);",
        "permit(principal is User == User::\"a\", action, resource);",
        "permit(principal in Group::\"g\" is User, action, resource);",
        "permit(principal, action is Action, resource);",
        "permit(principal in [User::\"a\"], action, resource);",
        "permit(principal, action == User::\"view\", resource);",
        "permit(principal == ?resource, action, resource);",
        "permit(principal, action, resource == ?principal);",
        "permit(principal == ?other, action, resource);",
        "permit(principal, action, resource) when { principal == ?principal };",
        "permit(principal, action, resource) when { 1 < 2 < 3 };",
        "permit(principal, action, resource) when { principal == principal == principal };",
        "permit(principal, action, resource) when { principal in Group::\"a\" == true };",
        "permit(principal, action, resource) when { !!!!!true };",
        "permit(principal, action, resource) when { !-1 };",
        "permit(principal, action, resource) when { 9223372036854775808 == 1 };",
        "permit(principal, action, resource) when { 4 / 2 == 2 };",
        "permit(principal, action, resource) when { 4 % 2 == 0 };",
        "permit(principal, action, resource) when { foo == 1 };",
        "permit(principal, action, resource) when { unknownFn(\"x\") };",
        "permit(principal, action, resource) when { principal.foo() };",
        "permit(principal, action, resource) when { isIpv4(ip(\"1.2.3.4\")) };",
        "permit(principal, action, resource) when { context.x.ip() };",
        "permit(principal, action, resource) when { [1].contains(1, 2) };",
        "permit(principal, action, resource) when { [].isEmpty(1) };",
        "permit(principal, action, resource) when { context.s like context.p };",
        "permit(principal, action, resource) when { principal is \"User\" };",
        "permit(principal, action, resource) when { context[context.k] };",
        "permit(principal, action, resource) when { {a: 1, a: 2} == {} };",
        "@id(\"a\") @id(\"b\") permit(principal, action, resource);",
        "permit(principal, action, resource) when { principal.if == 1 };",
        "permit(principal, action, resource) when { {if: 1} == {} };",
        "permit(principal, action, resource) when { principal.__cedar == 1 };",
        "permit(principal == __cedar::User::\"a\", action, resource);",
        "permit(principal, action, resource) when { A::__cedar::\"a\" == principal };",
        "permit(principal, action, resource) when { principal has __cedar };",
        "permit(principal, action, resource) when { principal is X::__cedar };",
        "permit(principal, action, resource) when { \"\\q\" == \"\" };",
        "permit(principal, action, resource) when { \"\\x80\" == \"\" };",
        "permit(principal, action, resource) when { \"\\u{}\" == \"\" };",
        "permit(principal, action, resource) when { \"\\u{1234567}\" == \"\" };",
        "permit(principal, action, resource) when { \"\\u{D800}\" == \"\" };",
        "permit(principal, action, resource) when { \"a\\*\" == \"\" };",
        "permit(principal, action, resource) when { \"\u{e9}\" == \u{e9} };",
        "permit(principal, action, resource)",
        "permit(principal: User, action, resource);",
        "permit(principal, action, resource) when { User::{id: \"a\"} == principal };",
    ])
    func rejects(_ text: String) {
        #expect(Fixture.parseFails(text) != nil, "accepted: \(text)")
    }

    /// Texts the reference accepts.
    @Test(arguments: [
        "",
        "// only a comment",
        "permit(principal, action, resource,);",
        "permit(principal, action in [Action::\"a\", Action::\"b\",], resource);",
        "permit(principal, action in [], resource);",
        "permit(principal, action == NS::Action::\"x\", resource);",
        "permit(principal == User :: \"alice\", action, resource);",
        "permit(principal == User::\"\", action, resource);",
        "permit(principal is User in ?principal, action, resource is Doc in ?resource);",
        "@foo @if(\"x\") @id(\"p1\") forbid(principal, action, resource);",
        "permit(principal, action, resource) when { permit::\"x\" != principal::\"x\" && principal::\"x\" is principal };",
        "permit(principal, action, resource) when { context.principal == 1 };",
        "permit(principal, action, resource) when { [1,2,] == [1,2] && {a:1,} == {a:1} };",
        "permit(principal, action, resource) when { -9223372036854775808 < - 9223372036854775807 };",
        "permit(principal, action, resource) when { (1 < 2) == true };",
        "permit(principal, action, resource) when { if true then 1 else \"x\" == 1 };",
        "permit(principal, action, resource) when { \"\\u{1_0}\\x41\\0\\'\\\"\\t\" != \"\" };",
        "permit(principal, action, resource) when { \"a\u{a0}b\" like \"a*\\*\" };",
        "permit(principal, action, resource) when { ip(\"1.2.3.4\").isInRange(ip(\"1.0.0.0/8\"), ip(\"2.0.0.0/8\")) };",
        "permit(principal, action, resource) when { principal has a.b.c && principal has \"x y\" };",
        "permit(principal, action, resource) when { !!!!true && ----1 == 1 };",
        "permit(principal, action, resource) when { 007 == 7 };",
        "permit(principal, action, resource) when { \"line\nbreak\" != \"\" };",
        // Found by the differential syntax fuzzer: only the whole name `__cedar` is reserved.
        "permit(principal, action, resource) when { context.a__cedar && principal.__cedar_x };",
        "permit(principal, action, resource) when { principal is A__cedar || __cedarX::\"a\" == principal };",
    ])
    func accepts(_ text: String) {
        let error = Fixture.parseFails(text)
        #expect(error == nil, "rejected: \(text): \(error?.description ?? "")")
    }

    @Test func errorsCarryLineAndColumn() throws {
        let error = try #require(
            Fixture.parseFails("permit(principal, action, resource);\npermit(principal, action, resource) when { 1 < 2 < 3 };")
        )
        let d = try #require(error.diagnostics.first)
        #expect(d.location == SourceLocation(line: 2, column: 50))
        #expect(d.message.contains("multiple relational operators"))
    }

    @Test func everyBadPolicyIsReported() throws {
        let text =
            "permit(principal, action, resource) when { foo };\npermit(principal, action, resource);\nforbid(principal, actoin, resource);"
        let error = try #require(Fixture.parseFails(text))
        #expect(error.diagnostics.map { $0.location?.line } == [1, 3])
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for text in [
            String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000),
            String(repeating: "[", count: 100_000),
            "1" + String(repeating: " + 1", count: 100_000),
            "principal" + String(repeating: ".a", count: 100_000),
            String(repeating: "if true then ", count: 50_000) + "1",
        ] {
            let error = Fixture.parseFails("permit(principal, action, resource) when { \(text) };")
            #expect(error?.diagnostics.first?.message.contains("nested too deeply") == true || error != nil)
        }
    }

    /// The reference accepts long chains (5,000 `||` operands); so does this library for `&&` and
    /// `||` (one n-ary node), and it accepts `+` and `.` chains as deep as
    /// ``Policy/maximumExpressionDepth`` (each operand is one level), refusing longer ones with the
    /// depth they have, so no walker of the AST can overflow the stack.
    @Test func longChainsParseAndEvaluate() throws {
        let n = Policy.maximumExpressionDepth - 2
        let chain = Array(repeating: "context.x == 1", count: n - 1).joined(separator: " || ") + " || true"
        let adds = Array(repeating: "1", count: n).joined(separator: " + ") + " == \(n)"
        let path = "context" + String(repeating: ".a", count: n - 2) + " == 1"
        let text = "permit(principal, action, resource) when { \(chain) } when { \(adds) } unless { context has b && \(path) };"
        let set = try PolicySet(parsing: text)
        let r = Authorizer(policies: set).isAuthorized(Fixture.request("alice", "view", context: ["x": .long(2)]), entities: Fixture.store)
        #expect(r.decision == .allow)
        let again = try PolicySet(parsing: PolicyFormatter.format(set))
        #expect(again.staticPolicies[0].sameAST(as: set.staticPolicies[0]))
        #expect(try PolicySet(json: set.jsonString()).staticPolicies[0].sameAST(as: set.staticPolicies[0]))
        // A flat `&&` chain is one level however long (FlatChainTests); a `+` chain is one per operand.
        let flat = Array(repeating: "true", count: Parser.maxChain - 1).joined(separator: " && ")
        #expect(try PolicySet(parsing: "permit(principal, action, resource) when { \(flat) };").staticPolicies[0].expressionDepth == 2)
        let tooLong = Array(repeating: "1", count: 1999).joined(separator: " + ") + " > 0"
        let error = try #require(Fixture.parseFails("permit(principal, action, resource) when { \(tooLong) };"))
        #expect(error.diagnostics.first?.message.contains("2000 levels deep; at most 100 are accepted") == true, "\(error)")
    }

    @Test func policyIDsArePositionalIncludingTemplates() throws {
        let set = try PolicySet(
            parsing:
                "@id(\"x\") permit(principal, action, resource); permit(principal == ?principal, action, resource); forbid(principal, action, resource);"
        )
        #expect(set.staticPolicies.map(\.id) == ["policy0", "policy2"])
        #expect(set.templates.map(\.id) == ["policy1"])
        #expect(set.staticPolicies[0].annotation("id") == "x")
    }

    @Test func desugarsLikeTheReference() throws {
        #expect(try Parser.parseExpression("context has b.c").get() == Parser.parseExpression("context has b && context.b has c").get())
        #expect(
            try Parser.parseExpression("principal is User in Group::\"g\"").get()
                == .isIn(.variable(.principal), EntityType("User"), .literal(.entity(EntityUID("Group", "g"))))
        )
        #expect(try Parser.parseExpression("-5").get() == .literal(.long(-5)))
        #expect(try Parser.parseExpression("-(5)").get() == .negate(.literal(.long(5))))
    }
}
