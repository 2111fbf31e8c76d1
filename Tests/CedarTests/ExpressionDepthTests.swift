import Foundation
import Testing

@testable import Cedar

/// ``Policy/expressionDepth``, the measure the parsers use to refuse a policy before the recursive
/// walkers (validator, formatter, explainer, JSON writer) see it: it is computed without
/// recursion, so it measures the 2,500-operand chains the parser builds even on a 512 KiB
/// thread; and a policy at the depth the library accepts (100, also the RAR Cedar profile's)
/// goes through every consumer of the AST on a 512 KiB thread (docs/cedar.md, "Stack the parsers need").
@Suite struct ExpressionDepthTests {
    static let chain = Parser.maxChain - 1

    /// Each long form: its condition and its depth (one level per operand, plus the comparison).
    static let longForms: [(name: String, body: String, depth: Int)] = [
        ("plus chain", Array(repeating: "1", count: chain).joined(separator: " + ") + " > 0", chain + 1),
        ("attribute chain", "context" + String(repeating: ".a", count: chain - 1) + " == 1", chain + 1),
        ("index chain", "context" + String(repeating: "[\"a\"]", count: chain - 1) + " == 1", chain + 1),
        ("method chain", "context.s" + String(repeating: ".isEmpty()", count: chain - 2), chain),
    ]

    static func policy(_ body: String) throws -> Policy {
        let set = try PolicySet(parsing: "permit(principal, action, resource) when { \(body) };")
        return try #require(set.staticPolicies.first)
    }

    @Test func depthCountsNodesOnTheDeepestPath() throws {
        #expect(try Self.policy("true").expressionDepth == 1)
        #expect(try Self.policy("1 + 2 + 3 > 0").expressionDepth == 4)
        #expect(try Self.policy("context.a.b == 1").expressionDepth == 4)
        #expect(try Self.policy("!(!true)").expressionDepth == 3)
        #expect(try Self.policy("if true then 1 + 2 else 0").expressionDepth == 3)
        // A flat `&&`/`||` chain is one n-ary node, one level however long (as in the reference);
        // a parenthesized right operand is nesting.
        #expect(try Self.policy("true && true && true").expressionDepth == 2)
        #expect(try Self.policy(Array(repeating: "false", count: Self.chain).joined(separator: " || ")).expressionDepth == 2)
        #expect(try Self.policy("true && (true && true)").expressionDepth == 3)
        #expect(try Self.policy("(true && true) && true").expressionDepth == 2)
        let none = try #require(try PolicySet(parsing: "permit(principal, action, resource);").staticPolicies.first)
        #expect(none.expressionDepth == 0)
    }

    /// The parser builds these chains with loops, then measures them (without recursion) and
    /// refuses them with their depth, on a 512 KiB thread.
    @Test(arguments: longForms.map(\.name))
    func depthOfLongChainsIsMeasuredOnASmallStack(_ name: String) async throws {
        let form = try #require(Self.longForms.first { $0.name == name })
        let text = "permit(principal, action, resource) when { \(form.body) };"
        let message = await onSmallStack(stack(kib: 512)) { () -> String in
            Fixture.parseFails(text)?.diagnostics.first?.message ?? "accepted"
        }
        #expect(message.contains("\(form.depth) levels deep; at most \(Policy.maximumExpressionDepth) are accepted"), "\(name): \(message)")
    }

    /// The deepest chains the RAR Cedar profile accepts (100 levels,
    /// `CedarDetailsGranter.maximumExpressionDepth`): every consumer of the AST runs on them.
    static let limitForms: [(name: String, body: String)] = {
        let n = 99
        return [
            ("plus chain", Array(repeating: "1", count: n).joined(separator: " + ") + " > 0"),
            ("and chain", Array(repeating: "true", count: n + 1).joined(separator: " && ")),
            ("or chain", (Array(repeating: "context has y", count: n - 1) + ["true"]).joined(separator: " || ")),
            ("attribute chain", "!(context has x) || context" + String(repeating: ".x", count: n - 2)),
        ]
    }()

    /// A secondary thread's stack (`CEDAR_TEST_STACK_KIB` overrides it, to measure).
    static let limitStack = stack(kib: 512)

    @Test(arguments: limitForms.map(\.name))
    func profileLimitIsSafeEverywhere(_ name: String) async throws {
        let form = try #require(Self.limitForms.first { $0.name == name })
        let text = "permit(principal, action, resource) when { \(form.body) };"
        let schema = try Schema(parsing: "entity User; entity Doc; action view appliesTo { principal: User, resource: Doc };")
        let outcome = await onSmallStack(Self.limitStack) { () -> String in
            func stage(_ s: String) {
                if ProcessInfo.processInfo.environment["CEDAR_TEST_TRACE"] != nil {
                    FileHandle.standardError.write(Data("TRACE \(name): \(s)\n".utf8))
                }
            }
            stage("parse")
            guard let set = try? PolicySet(parsing: text), let policy = set.staticPolicies.first else { return "rejected" }
            guard policy.expressionDepth <= 100 else { return "depth \(policy.expressionDepth)" }
            stage("authorize")
            let decision = Authorizer(policies: set).isAuthorized(Fixture.request("alice", "view"), entities: Fixture.store)
            stage("validate")
            _ = Validator(schema: schema).validate(set)
            stage("format")
            let formatted = PolicyFormatter.format(set)
            guard (try? PolicySet(parsing: formatted)) != nil else { return "formatted text does not parse back" }
            stage("explain")
            _ = PolicyExplainer(schema: schema).explain(set)
            stage("json")
            _ = try? PolicySet(json: set.jsonString())
            stage("done")
            return "\(decision.decision)"
        }
        #expect(outcome == "allow", "\(name): \(outcome)")
    }
}
