import Foundation
import Testing

@testable import Cedar

/// Issue 21: a flat `a && b && …` or `a || b || …` chain is one level of nesting, not one level
/// per operand. The reference accepts chains of thousands of operands; before, a chain of more
/// than ``Policy/maximumExpressionDepth`` operands was refused as "too deep". The parser now
/// builds one n-ary node per chain, so every walker (evaluator, validator, formatter, explainer,
/// JSON writer) iterates over the operands instead of recursing once per operand: all of it runs
/// on a 512 KiB secondary-thread stack. Real nesting stays bounded.
@Suite struct FlatChainTests {
    static let schema = "entity User; entity Doc; action view appliesTo { principal: User, resource: Doc };"
    static let operands = 1_000

    /// `permit … when { o && o && … };` with `count` operands joined by `op`, operand `at` replaced.
    /// - Parameters:
    ///   - op: `&&` or `||`.
    ///   - operand: the repeated operand.
    ///   - count: how many operands.
    ///   - replacing: operands to put at given positions instead.
    /// - Returns: the policy text.
    static func chain(_ op: String, _ operand: String, count: Int = operands, replacing: [Int: String] = [:]) -> String {
        let items = (0..<count).map { replacing[$0] ?? operand }
        return "permit(principal, action, resource) when { " + items.joined(separator: " \(op) ") + " };"
    }

    /// Parses, authorizes (both authorizers), validates, formats (and reads the text back),
    /// explains and writes `text` as JSON, on a 512 KiB thread.
    /// - Parameter text: one policy in Cedar syntax.
    /// - Returns: what each step produced, or the error that refused the text.
    static func everything(_ text: String) async -> [String: String] {
        let schemaText = schema
        return await onSmallStack(stack(kib: 512)) { () -> [String: String] in
            var out: [String: String] = [:]
            let set: PolicySet
            do { set = try PolicySet(parsing: text) } catch {
                return ["refused": "\(error)"]
            }
            guard let schema = try? Schema(parsing: schemaText), let policy = set.staticPolicies.first else { return ["schema": ""] }
            out["depth"] = "\(policy.expressionDepth)"
            let response = Authorizer(policies: set).isAuthorized(Fixture.request("alice", "view"), entities: Fixture.store)
            out["decision"] = "\(response.decision)"
            out["errors"] = "\(response.diagnostics.errors.count)"
            let plain = PlainAuthorizer.isAuthorized(set, Fixture.request("alice", "view"), entities: Fixture.store)
            out["plain"] = "\(plain.decision)/\(plain.diagnostics.errors.count)"
            out["validation"] = Validator(schema: schema).validate(set).errors.map(\.message).joined(separator: " | ")
            let formatted = PolicyFormatter.format(set)
            out["formatted"] = formatted
            let again = try? PolicySet(parsing: formatted)
            out["roundTrip"] = "\(again.map { zip($0.staticPolicies, set.staticPolicies).allSatisfy { $0.sameAST(as: $1) } } ?? false)"
            let explanation = PolicyExplainer(schema: schema).explain(policy)
            out["clauses"] = "\(explanation.conditions.count)"
            let json = set.jsonString(pretty: false)
            out["jsonOperators"] = "\(json.components(separatedBy: "\"&&\"").count - 1 + json.components(separatedBy: "\"||\"").count - 1)"
            do { _ = try PolicySet(json: json) } catch { out["jsonBack"] = "\(error)" }
            return out
        }
    }

    @Test func thousandOperandAndChainIsAcceptedEverywhere() async {
        let out = await Self.everything(Self.chain("&&", "1 < 2"))
        #expect(out["refused"] == nil, "\(out["refused"] ?? "")")
        #expect(out["depth"] == "3", "a flat chain is one level; `1 < 2` two more")
        #expect(out["decision"] == "allow")
        #expect(out["errors"] == "0")
        #expect(out["plain"] == "allow/0")
        #expect(out["validation"] == "")
        let body = Array(repeating: "1 < 2", count: Self.operands).joined(separator: " && ")
        #expect(out["formatted"]?.contains("when { " + body + " };") == true, "one flat chain, no parentheses")
        #expect(out["roundTrip"] == "true")
        #expect(out["clauses"] == "\(Self.operands)", "one clause per conjunct")
        #expect(
            out["jsonOperators"] == "\(Self.operands - 1)",
            "the JSON policy format nests `&&` left to right, as the reference writes it"
        )
    }

    @Test func thousandOperandOrChainIsAcceptedEverywhere() async {
        let out = await Self.everything(Self.chain("||", "1 > 2", replacing: [Self.operands - 1: "1 < 2"]))
        #expect(out["refused"] == nil, "\(out["refused"] ?? "")")
        #expect(out["depth"] == "3")
        #expect(out["decision"] == "allow", "only the last operand holds")
        #expect(out["plain"] == "allow/0")
        #expect(out["validation"] == "")
        #expect(out["formatted"]?.contains("1 > 2 || 1 > 2 || ") == true)
        #expect(out["formatted"]?.contains("1 > 2 || 1 < 2 };") == true)
        #expect(out["roundTrip"] == "true")
        #expect(out["clauses"] == "1", "a disjunction is one clause, shown as code")
        #expect(out["jsonOperators"] == "\(Self.operands - 1)")
    }

    @Test func longChainsShortCircuitAndPropagateErrorsAsBefore() async {
        // An error in the middle of a chain that gets there: the policy errors (and is skipped).
        let failing = await Self.everything(Self.chain("&&", "1 < 2", replacing: [500: "principal.nope == 1"]))
        #expect(failing["decision"] == "deny")
        #expect(failing["errors"] == "1")
        #expect(failing["plain"] == "deny/1")
        // `false` before the error: `&&` stops there, no error.
        let stopped = await Self.everything(Self.chain("&&", "1 < 2", replacing: [499: "1 > 2", 500: "principal.nope == 1"]))
        #expect(stopped["decision"] == "deny")
        #expect(stopped["errors"] == "0")
        #expect(stopped["plain"] == "deny/0")
        // `true` before the error: `||` stops there.
        let orStopped = await Self.everything(Self.chain("||", "1 > 2", replacing: [499: "1 < 2", 500: "principal.nope == 1"]))
        #expect(orStopped["decision"] == "allow")
        #expect(orStopped["errors"] == "0")
        // A non-boolean operand reached by evaluation is a type error, as for two operands.
        let typeError = await Self.everything(Self.chain("&&", "1 < 2", replacing: [700: "7"]))
        #expect(typeError["decision"] == "deny")
        #expect(typeError["errors"] == "1")
    }

    @Test func theValidatorTypesEveryOperandOfALongChain() async {
        let out = await Self.everything(Self.chain("&&", "1 < 2", replacing: [700: "7", 900: "\"x\""]))
        let messages = out["validation"] ?? ""
        #expect(messages.contains("expected Bool but saw Long"), "\(messages)")
        #expect(messages.contains("expected Bool but saw String"), "\(messages)")
        // `false && …` is typed `False` and the rest is not checked, as for `false && 7`.
        let skipped = await Self.everything(Self.chain("&&", "1 < 2", replacing: [0: "false", 700: "7"]))
        #expect(skipped["validation"]?.contains("saw Long") == false)
        #expect(
            Self.validation("false && 7") == Self.validation("false && 1 < 2 && 7"),
            "a chain types as the left-nested binary operators it stands for"
        )
        #expect(Self.validation("true || 7") == Self.validation("true || 1 < 2 || 7"))
        #expect(Self.validation("1 < 2 && 7") == Self.validation("1 < 2 && 1 < 2 && 7"))
    }

    /// The validator's messages for `when { body }`.
    /// - Parameter body: a condition.
    /// - Returns: the messages without locations.
    static func validation(_ body: String) -> [String] {
        guard let schema = try? Schema(parsing: schema),
            let set = try? PolicySet(parsing: "permit(principal, action, resource) when { \(body) };")
        else { return ["unparsable"] }
        return Validator(schema: schema).validate(set).errors.map(\.message)
    }

    @Test func chainsAreOneShapeHoweverTheyAreWritten() throws {
        // The reference parses `(a && b) && c`, `a && b && c` and a `has` path before `&&` to the
        // same left-nested tree; so do we (one n-ary node), so reading the formatter's output or
        // the JSON policy format back gives the same policy.
        let texts = [
            "1 < 2 && 2 < 3 && 3 < 4", "(1 < 2 && 2 < 3) && 3 < 4", "((1 < 2) && 2 < 3) && 3 < 4",
        ]
        let policies = try texts.map {
            try #require(try PolicySet(parsing: "permit(principal, action, resource) when { \($0) };").staticPolicies.first)
        }
        #expect(policies.allSatisfy { $0.sameAST(as: policies[0]) })
        let right = try #require(
            try PolicySet(parsing: "permit(principal, action, resource) when { 1 < 2 && (2 < 3 && 3 < 4) };").staticPolicies.first
        )
        #expect(!right.sameAST(as: policies[0]), "a parenthesized right operand is real nesting")
        #expect(
            PolicyFormatter.format(try PolicySet(parsing: "permit(principal, action, resource) when { 1 < 2 && (2 < 3 && 3 < 4) };"))
                .contains("1 < 2 && (2 < 3 && 3 < 4)")
        )
        for text in [
            "permit(principal, action, resource) when { context has a.b.c && 1 < 2 || context has x && 2 < 3 && 3 < 4 };",
            "permit(principal, action, resource) when { 1 < 2 && context has a.b.c };",
        ] {
            let set = try PolicySet(parsing: text)
            let fromJSON = try PolicySet(json: set.jsonString())
            let fromText = try PolicySet(parsing: PolicyFormatter.format(set))
            let original = try #require(set.staticPolicies.first)
            #expect(try #require(fromJSON.staticPolicies.first).sameAST(as: original), "\(text)")
            #expect(try #require(fromText.staticPolicies.first).sameAST(as: original), "\(text)")
        }
    }

    @Test func realNestingIsStillRefusedWithTheClearError() async throws {
        // 25 parenthesized levels, each `x && (…)`, over a 90-operand `+` chain: 116 levels of nesting.
        var body = Array(repeating: "1", count: 90).joined(separator: " + ") + " > 0"
        for _ in 0..<25 { body = "1 < 2 && (" + body + ")" }
        let text = "permit(principal, action, resource) when { \(body) };"
        let out = await Self.everything(text)
        #expect(out["refused"]?.contains("116 levels deep; at most \(Policy.maximumExpressionDepth) are accepted") == true, "\(out)")
        // Too many parentheses: the parser's nesting guard.
        let parens = String(repeating: "(", count: 200) + "true" + String(repeating: ")", count: 200)
        let refused = await Self.everything("permit(principal, action, resource) when { \(parens) };")
        #expect(refused["refused"]?.contains("nested too deeply") == true, "\(refused)")
        // `+` and `.` chains still count one level per operand.
        let plus = await Self.everything(
            "permit(principal, action, resource) when { " + Array(repeating: "1", count: 150).joined(separator: " + ") + " > 0 };"
        )
        #expect(plus["refused"]?.contains("levels deep") == true)
    }

    @Test func aChainTooLongForTheJSONPolicyFormatIsRefusedWhenReadBack() async {
        // The JSON policy format nests `&&` one level per operand; the reference's JSON reader
        // stops at 128 levels, ours at 256: the text is written, reading it back is refused clearly.
        let out = await Self.everything(Self.chain("&&", "1 < 2"))
        #expect(
            out["jsonBack"]?.contains("too deep") == true || out["jsonBack"]?.contains("levels deep") == true,
            "\(out["jsonBack"] ?? "read back")"
        )
    }
}
