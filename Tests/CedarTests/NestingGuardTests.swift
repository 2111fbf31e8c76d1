import Foundation
import Testing

@testable import Cedar

/// Runs `body` on a new thread whose stack is `bytes` long and returns its result.
///
/// 512 KiB is the default stack of a secondary thread (Foundation's `Thread`, and the
/// cooperative pool that runs a `Task` on Darwin); the glibc default for the main thread is 8 MiB,
/// so a test that passes there proves little. A stack overflow here kills the test process: the
/// suite fails loudly rather than quietly.
/// - Parameters:
///   - bytes: the stack size of the thread.
///   - body: the work to run on it.
/// - Returns: what `body` returned.
func onSmallStack<T: Sendable>(_ bytes: Int = smallStack, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = bytes
        thread.start()
    }
}

/// The default stack size for ``onSmallStack(_:_:)``: 512 KiB, or `CEDAR_TEST_STACK_KIB` KiB.
let smallStack = stack(kib: 512)

/// A stack size of `kib` KiB, unless `CEDAR_TEST_STACK_KIB` overrides it (to measure what a form
/// needs: run one test with a smaller value and see whether the process survives).
/// - Parameter kib: the size to use when the environment does not say otherwise.
/// - Returns: the size in bytes.
func stack(kib: Int) -> Int {
    (ProcessInfo.processInfo.environment["CEDAR_TEST_STACK_KIB"].flatMap { Int($0) } ?? kib) * 1024
}

/// Issue 21 item 5: the parsers refuse pathological depth with a clear error instead of
/// recursing, in every input format, on a 512 KiB secondary-thread stack; and the deepest input
/// they accept can be evaluated, validated, formatted, explained and written as JSON on that
/// same stack. (Cedar 4.13+ adds an optional depth limit to the reference's policy parser and a
/// depth guard to its schema parser, cedar-policy/cedar#2383 and #2402; ours are always on.)
@Suite struct NestingGuardTests {
    static let depth = 10_000

    // Policies, in Cedar text and JSON, schemas, entity and context JSON, and every consumer of the
    // deepest accepted policies run on the 512 KiB of a secondary thread (docs/cedar.md, "Stack the
    // parsers need"). `CEDAR_TEST_STACK_KIB` sets another size, to measure what a form needs.
    static let textStack = stack(kib: 512)
    static let jsonStack = stack(kib: 512)
    static let valueStack = stack(kib: 512)
    static let schemaStack = stack(kib: 512)
    static let acceptedStack = stack(kib: 512)

    @Test func smallStackRunsWork() async {
        #expect(await onSmallStack { 1 + 1 } == 2)
    }

    static func repeated(_ open: String, _ inner: String, _ close: String, _ n: Int = depth) -> String {
        String(repeating: open, count: n) + inner + String(repeating: close, count: n)
    }

    /// Each pathological form of Cedar text, and the words its error must contain.
    static let textForms: [(name: String, body: String, message: String)] = [
        ("parentheses", repeated("(", "1", ")"), "nested too deeply"),
        ("negations", String(repeating: "!", count: depth) + "true", "too many occurrences of `!`"),
        ("negations in parentheses", repeated("!(", "true", ")"), "nested too deeply"),
        ("minus signs in parentheses", repeated("-(", "1", ")"), "nested too deeply"),
        ("if in the then branch", repeated("if true then ", "1", " else 2"), "nested too deeply"),
        ("if in the condition", repeated("if ", "true", " then true else false"), "nested too deeply"),
        ("records", repeated("{a: ", "1", "}"), "nested too deeply"),
        ("sets", repeated("[", "1", "]"), "nested too deeply"),
        ("unclosed sets", String(repeating: "[", count: depth), "nested too deeply"),
        ("function arguments", repeated("decimal(", "\"1.0\"", ")"), "nested too deeply"),
        ("method arguments", repeated("[1].contains(", "1", ")"), "nested too deeply"),
        ("attribute chains", "principal" + String(repeating: ".a", count: depth), "chain is too long"),
        ("index chains", "principal" + String(repeating: "[\"a\"]", count: depth), "chain is too long"),
        ("extended has", "principal has a" + String(repeating: ".a", count: depth), "`has` path is too long"),
        ("operator chains", "1" + String(repeating: " + 1", count: depth), "chain is too long"),
    ]

    @Test(arguments: textForms.map(\.name))
    func policyTextRefusesPathologicalDepth(_ name: String) async throws {
        let form = try #require(Self.textForms.first { $0.name == name })
        let text = "permit(principal, action, resource) when { \(form.body) };"
        let error = await onSmallStack(Self.textStack) { Fixture.parseFails(text) }
        let e = try #require(error, "\(name) was accepted")
        #expect(e.code == .policySyntax)
        #expect(e.diagnostics.first?.message.contains(form.message) == true, "\(name): \(e)")
    }

    /// The JSON policy format (EST): the JSON reader stops at 256 levels, before the expression
    /// decoder recurses.
    static let jsonPolicyForms: [(name: String, body: String)] = [
        ("negations", repeated(#"{"!": {"arg": "#, #"{"Value": true}"#, "}}")),
        ("sets", repeated(#"{"Set": ["#, #"{"Value": 1}"#, "]}")),
        ("records", repeated(#"{"Record": {"a": "#, #"{"Value": 1}"#, "}}")),
        ("if", repeated(#"{"if-then-else": {"if": {"Value": true}, "then": "#, #"{"Value": 1}"#, #", "else": {"Value": 2}}}"#)),
        ("literal arrays", #"{"Value": "# + repeated("[", "1", "]") + "}"),
    ]

    @Test(arguments: jsonPolicyForms.map(\.name))
    func jsonPolicyRefusesPathologicalDepth(_ name: String) async throws {
        let body = try #require(Self.jsonPolicyForms.first { $0.name == name }).body
        let json =
            #"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": "#
            + body + "}]}"
        let error = await onSmallStack(Self.jsonStack) { () -> CedarParseError? in
            do throws(CedarParseError) {
                _ = try PolicySet(json: json)
                return nil
            } catch {
                return error
            }
        }
        let e = try #require(error)
        #expect(e.code == .policyJSON)
        #expect(e.description.contains("nesting too deep"), "\(e)")
    }

    /// The JSON entity format and request contexts, with and without a schema.
    static let valueForms: [(name: String, json: String)] = [
        ("arrays", repeated("[", "1", "]")),
        ("records", repeated(#"{"a": "#, "1", "}")),
        ("extension escapes", repeated(#"{"__extn": {"fn": "ip", "arg": "#, #""1.2.3.4""#, "}}")),
    ]

    @Test(arguments: valueForms.map(\.name))
    func entityAndContextJSONRefusePathologicalDepth(_ name: String) async throws {
        let value = try #require(Self.valueForms.first { $0.name == name }).json
        let entities = #"[{"uid": {"type": "User", "id": "a"}, "attrs": {"x": "# + value + #"}, "parents": []}]"#
        let request =
            #"{"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "view"}, "resource": {"type": "User", "id": "a"}, "context": {"x": "#
            + value + "}}"
        let schema = try Schema(parsing: "entity User = { x?: Long }; action view appliesTo { principal: User, resource: User };")
        let codes = await onSmallStack(Self.valueStack) { () -> [CedarParseError.Code?] in
            func code(_ body: () throws(CedarParseError) -> Void) -> CedarParseError.Code? {
                do throws(CedarParseError) {
                    try body()
                    return nil
                } catch {
                    return error.diagnostics.contains { $0.message.contains("nesting too deep") } ? error.code : nil
                }
            }
            return [
                code { () throws(CedarParseError) in _ = try EntityStore(json: entities) },
                code { () throws(CedarParseError) in _ = try AuthorizationRequest(json: request) },
                code { () throws(CedarParseError) in _ = try schema.entityStore(json: entities) },
                code { () throws(CedarParseError) in _ = try schema.request(json: request) },
            ]
        }
        #expect(codes == [.entities, .request, .entities, .request])
    }

    /// Both schema formats (records, sets, common-type chains) on the small stack.
    @Test func schemasRefusePathologicalDepth() async {
        let n = Self.depth
        let texts = [
            "entity E = { a: " + Self.repeated("{ a: ", "Long", " }", n) + " };",
            "entity E = { a: " + Self.repeated("Set<", "Long", ">", n) + " };",
            (0..<n).map { "type T\($0) = T\($0 + 1);" }.joined(separator: "\n") + "\ntype T\(n) = Long;\nentity E = { a: T0 };",
        ]
        let json = [
            #"{"": {"entityTypes": {"E": {"shape": "# + Self.repeated(#"{"type": "Set", "element": "#, #"{"type": "Long"}"#, "}", n)
                + #"}}, "actions": {}}}"#,
            #"{"": {"commonTypes": {"# + (0..<n).map { #""T\#($0)": {"type": "T\#($0 + 1)"}, "# }.joined()
                + #""T\#(n)": {"type": "Long"}}, "entityTypes": {"E": {"shape": {"type": "Record", "attributes": {"a": {"type": "T0"}}}}}, "actions": {}}}"#,
        ]
        let messages = await onSmallStack(Self.schemaStack) { () -> [String] in
            func message(_ body: () throws(SchemaError) -> Void) -> String {
                do throws(SchemaError) {
                    try body()
                    return "accepted"
                } catch {
                    return error.message
                }
            }
            return texts.map { t in message { () throws(SchemaError) in _ = try Schema(parsing: t) } }
                + json.map { j in message { () throws(SchemaError) in _ = try Schema(json: j) } }
        }
        for m in messages {
            #expect(m.contains("nested too deeply") || m.contains("nesting too deep"), "\(m)")
        }
    }

    /// The deepest input of each form the parser accepts, run through every consumer of the AST
    /// on the small stack: evaluation, validation, formatting (and re-parsing), explanation and
    /// the JSON policy format.
    static let acceptedForms: [(name: String, body: String)] = {
        let nest = Parser.maxDepth / 2 - 1
        let flat = Parser.maxDepth - 2
        // Each chain operand is one level: the longest chains within `Policy.maximumExpressionDepth`.
        let chain = Policy.maximumExpressionDepth - 2
        return [
            ("parentheses", repeated("(", "true", ")", nest)),
            ("negations in parentheses", repeated("!(!(", "true", "))", nest / 2)),
            ("if in the then branch", repeated("if true then ", "true", " else false", flat)),
            ("if in the condition", repeated("if ", "true", " then true else false", flat)),
            ("records", repeated("{a: ", "true", "}", nest) + String(repeating: ".a", count: nest)),
            ("sets", repeated("[", "1", "]", nest) + " != []"),
            ("method arguments", repeated("[true].contains(", "true", ")", flat)),
            ("attribute chains", "!(context has x) || context" + String(repeating: ".x", count: chain)),
            ("extended has", "!(context has x" + String(repeating: ".x", count: PolicyJSON.maxHasPath - 1) + ")"),
            ("operator chains", Array(repeating: "1", count: chain).joined(separator: " + ") + " > 0"),
            ("or chains", Array(repeating: "context has y", count: chain).joined(separator: " || ") + " || true"),
            ("and chains", Array(repeating: "true", count: chain).joined(separator: " && ")),
        ]
    }()

    @Test(arguments: acceptedForms.map(\.name))
    func deepestAcceptedInputIsSafeEverywhere(_ name: String) async throws {
        let form = try #require(Self.acceptedForms.first { $0.name == name })
        let text = "permit(principal, action, resource) when { \(form.body) };"
        let schema = try Schema(parsing: "entity User; entity Doc; action view appliesTo { principal: User, resource: Doc };")
        let outcome = await onSmallStack(Self.acceptedStack) { () -> String in
            func stage(_ s: String) {
                if ProcessInfo.processInfo.environment["CEDAR_TEST_TRACE"] != nil {
                    FileHandle.standardError.write(Data("TRACE \(name): \(s)\n".utf8))
                }
            }
            stage("parse")
            let set: PolicySet
            do {
                set = try PolicySet(parsing: text)
            } catch {
                return "rejected: \(error)"
            }
            stage("authorize")
            let decision = Authorizer(policies: set).isAuthorized(Fixture.request("alice", "view"), entities: Fixture.store)
            stage("validate")
            _ = Validator(schema: schema).validate(set)
            stage("format")
            let formatted = PolicyFormatter.format(set)
            guard let reparsed = try? PolicySet(parsing: formatted),
                zip(reparsed.staticPolicies, set.staticPolicies).allSatisfy({ $0.sameAST(as: $1) })
            else {
                return "formatted text does not parse back"
            }
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
