import Foundation
import Testing

@testable import Cedar

/// The Cedar library is safe for every caller, not only for Tessera's RAR profile: no policy set
/// it builds (from Cedar text, from the JSON policy format, by narrowing) is deeper than
/// ``Policy/maximumExpressionDepth``, and at that depth every public entry that walks a policy
/// (authorize, validate, format, explain, write as JSON) runs on a 512 KiB secondary-thread stack
/// in a debug build. Before, a policy set read from JSON 120 levels deep (well within the JSON
/// reader's 256 levels) or a 2,499-operand chain in Cedar text was accepted, and the validator,
/// which needed about 21 KiB of stack per level, overflowed such a thread: a crash, so a denial
/// of service for any resource server or tool validating untrusted policies.
@Suite struct LibraryDepthTests {
    static let schema = "entity User; entity Doc; action view appliesTo { principal: User, resource: Doc };"

    /// `1 + 1 + … > 0` in the JSON policy format, `operands` operands long (one AST level each,
    /// plus one for `>`): two JSON levels per operand.
    /// - Parameter operands: how many `1`s.
    /// - Returns: a single policy in the JSON policy format.
    static func jsonPlusChain(_ operands: Int) -> String {
        var e = #"{"Value": 1}"#
        for _ in 1..<operands { e = #"{"+": {"left": "# + e + #", "right": {"Value": 1}}}"# }
        let body = #"{">": {"left": "# + e + #", "right": {"Value": 0}}}"#
        return
            #"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": "#
            + body + "}]}"
    }

    /// Runs every public entry that walks a policy on `set`, on a 512 KiB thread.
    /// - Parameter make: builds the set (and may refuse it).
    /// - Returns: the decision, or the error that refused the set.
    static func everyConsumer(_ make: @escaping @Sendable () throws -> PolicySet) async -> String {
        let schemaText = schema
        return await onSmallStack(stack(kib: 512)) { () -> String in
            let set: PolicySet
            do { set = try make() } catch { return "refused: \(error)" }
            guard let schema = try? Schema(parsing: schemaText) else { return "schema" }
            let decision = Authorizer(policies: set).isAuthorized(Fixture.request("alice", "view"), entities: Fixture.store)
            _ = PlainAuthorizer.isAuthorized(set, Fixture.request("alice", "view"), entities: Fixture.store)
            _ = Validator(schema: schema).validate(set)
            let text = PolicyFormatter.format(set)
            guard let again = try? PolicySet(parsing: text),
                zip(again.staticPolicies, set.staticPolicies).allSatisfy({ $0.sameAST(as: $1) })
            else { return "formatted text does not parse back" }
            _ = PolicyExplainer(schema: schema).explain(set)
            guard let back = try? PolicySet(json: set.jsonString()), back.staticPolicies.count == set.staticPolicies.count else {
                return "JSON does not read back"
            }
            return "\(decision.decision)"
        }
    }

    @Test func jsonPolicyDeeperThanTheLimitIsRefused() async {
        let json = Self.jsonPlusChain(120)
        let outcome = await Self.everyConsumer { try PolicySet(json: json) }
        #expect(outcome.hasPrefix("refused"), "\(outcome)")
        #expect(outcome.contains("at most \(Policy.maximumExpressionDepth) are accepted"), "\(outcome)")
    }

    @Test func jsonPolicyAtTheLimitIsSafeEverywhere() async {
        let json = Self.jsonPlusChain(Policy.maximumExpressionDepth - 1)
        let outcome = await Self.everyConsumer { try PolicySet(json: json) }
        #expect(outcome == "allow", "\(outcome)")
    }

    @Test func textChainsDeeperThanTheLimitAreRefused() async throws {
        let chain = Array(repeating: "1", count: 2_499).joined(separator: " + ") + " > 0"
        let text = "permit(principal, action, resource) when { \(chain) };"
        let outcome = await Self.everyConsumer { try PolicySet(parsing: text) }
        #expect(outcome.hasPrefix("refused"), "\(outcome)")
        #expect(outcome.contains("2500 levels deep; at most \(Policy.maximumExpressionDepth) are accepted"), "\(outcome)")
        #expect(outcome.contains("1:1"), "the error names where the policy starts: \(outcome)")
    }

    /// Entity JSON and a request whose value `x` nests so that the whole document is `levels`
    /// JSON levels deep (`[` entity `{` `attrs` `{` … for entities, `{` `context` `{` … for the request).
    /// - Parameters:
    ///   - levels: the nesting of the whole document.
    ///   - form: `"arrays"` (`[[…1…]]`) or `"records"` (`{"a": {"a": …1…}}`).
    /// - Returns: the entity JSON and the request JSON.
    static func deepData(levels: Int, _ form: String) -> (entities: String, request: String) {
        func value(_ n: Int) -> String {
            form == "arrays"
                ? String(repeating: "[", count: n) + "1" + String(repeating: "]", count: n)
                : String(repeating: #"{"a": "#, count: n) + "1" + String(repeating: "}", count: n)
        }
        let entities = #"[{"uid": {"type": "User", "id": "alice"}, "attrs": {"x": "# + value(levels - 3) + #"}, "parents": []}]"#
        let request =
            #"{"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "view"}, "resource": {"type": "Doc", "id": "plan"}, "context": {"x": "#
            + value(levels - 2) + "}}"
        return (entities, request)
    }

    /// Reads entity JSON and a request, with and without a schema, and authorizes a policy that
    /// compares the deep values, on a 512 KiB thread.
    /// - Parameters:
    ///   - data: the entity JSON and the request JSON.
    ///   - kib: the thread's stack (512 KiB, a secondary thread's).
    /// - Returns: the decision, or every error that refused the data.
    static func readAndAuthorize(_ data: (entities: String, request: String), kib: Int = 512) async -> String {
        let schemaText =
            "entity User = { x?: Long }; entity Doc; action view appliesTo { principal: User, resource: Doc, context: { x?: Long } };"
        return await onSmallStack(stack(kib: kib)) { () -> String in
            var refusals: [String] = []
            func read<T>(_ body: () throws(CedarParseError) -> T) -> T? {
                do throws(CedarParseError) {
                    return try body()
                } catch {
                    refusals.append("\(error.code): \(error)")
                    return nil
                }
            }
            guard let schema = try? Schema(parsing: schemaText) else { return "schema" }
            // With the schema the deep value is not a `Long`: a type error, or the depth limit.
            _ = read { () throws(CedarParseError) in try schema.entityStore(json: data.entities) }
            _ = read { () throws(CedarParseError) in try schema.request(json: data.request) }
            let store = read { () throws(CedarParseError) in try EntityStore(json: data.entities) }
            let request = read { () throws(CedarParseError) in try AuthorizationRequest(json: data.request) }
            guard let store, let request else { return "refused: " + refusals.joined(separator: " | ") }
            guard
                let set = try? PolicySet(
                    parsing: "permit(principal, action, resource) when { principal.x == principal.x && context.x == context.x };"
                )
            else { return "policy" }
            return "\(Authorizer(policies: set).isAuthorized(request, entities: store).decision)"
        }
    }

    @Test(arguments: ["arrays", "records"])
    func entityAndContextJSONAtTheLimitAreSafe(_ form: String) async {
        let outcome = await Self.readAndAuthorize(Self.deepData(levels: JSONReader.maximumDataDepth, form))
        #expect(outcome == "allow", "\(outcome)")
    }

    /// Issue 21: the 128-level limit holds with margin. Reading a level of a value took 3,792 bytes
    /// of stack in a debug build (all of `cedarValue`'s cases in one frame): 128 levels needed more
    /// than 480 KiB of the 512. With each case in a function of its own a level takes 2,368 bytes,
    /// and all four readers and the authorizer fit 320 KiB; this runs them on 384 KiB.
    @Test(arguments: ["arrays", "records"])
    func entityAndContextJSONAtTheLimitLeaveHeadroom(_ form: String) async {
        let outcome = await Self.readAndAuthorize(Self.deepData(levels: JSONReader.maximumDataDepth, form), kib: 384)
        #expect(outcome == "allow", "\(outcome)")
    }

    @Test(arguments: ["arrays", "records"])
    func entityAndContextJSONDeeperThanTheLimitAreRefused(_ form: String) async {
        for levels in [JSONReader.maximumDataDepth + 1, 256, 10_000] {
            let outcome = await Self.readAndAuthorize(Self.deepData(levels: levels, form))
            #expect(outcome.hasPrefix("refused"), "\(levels): \(outcome)")
            let limit = "\(levels) levels deep; at most \(JSONReader.maximumDataDepth) are accepted"
            #expect(outcome.components(separatedBy: limit).count == 5, "all four readers name the depth and the limit: \(outcome)")
        }
    }

    @Test func conditionsAddedByNarrowingAreBoundedToo() throws {
        let chain = Array(repeating: "1", count: Policy.maximumExpressionDepth).joined(separator: " + ") + " > 0"
        #expect(throws: CedarParseError.self) { _ = try PolicyCondition(parsing: chain) }
        let within = Array(repeating: "1", count: Policy.maximumExpressionDepth - 1).joined(separator: " + ") + " > 0"
        let condition = try PolicyCondition(parsing: within)
        let base = try #require(try PolicySet(parsing: "permit(principal, action, resource) when { true };").staticPolicies.first)
        let narrowed = try #require(base.narrowed(conditions: [condition, condition]))
        #expect(narrowed.expressionDepth == Policy.maximumExpressionDepth)
    }
}
