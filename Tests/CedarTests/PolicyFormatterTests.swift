import Foundation
import Testing

@testable import Cedar

@Suite struct PolicyFormatterTests {
    static var corpusPolicyFiles: [String] {
        guard let root = CedarTestData.root else { return [] }
        let dir = root + "/corpus-tests"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".cedar") }.sorted().map { dir + "/" + $0 }
    }

    static let handWritten: [String] = [
        #"@id("a\"b") @flag permit(principal is User in ?principal, action in [Action::"a", NS::Action::"b"], resource is Doc in ?resource) when { principal has "x y" } unless { false };"#,
        #"permit(principal, action, resource) when { -(5) == -5 && -(-5) == 5 && (-5).foo == 1 && !(-x.y) };"#.replacingOccurrences(
            of: "x.y",
            with: "context.y"
        ),
        #"permit(principal, action, resource) when { if (if true then false else true) then 1 + 2 * 3 - (4 - 5) else (6 * (7 + 8)) == 0 };"#,
        #"permit(principal, action, resource) when { (principal has a.b.c || context["if"] like "a*\*\u{e9}\n") && principal.getTag("t").contains(1) };"#,
        #"permit(principal, action, resource) when { {"a b": [1, {c: ip("1.2.3.4").isInRange(ip("1.0.0.0/8"))}], d: decimal("1.5")} == context };"#,
        #"permit(principal, action, resource) when { (principal is User in Group::"g") && !(!true) && (1 < 2) == (3 in [4]) };"#,
        #"permit(principal, action, resource) when { ((context.a || context.b) && context.c || context.d).x };"#,
    ]

    private func roundTrips(_ text: String) throws {
        let set = try PolicySet(parsing: text)
        let formatted = PolicyFormatter.format(set)
        let again = try PolicySet(parsing: formatted)
        let before = set.staticPolicies + set.templates
        let after = again.staticPolicies + again.templates
        #expect(before.count == after.count)
        for (a, b) in zip(before, after) {
            #expect(a.sameAST(as: b), "format did not round-trip:\n\(PolicyFormatter.format(a))")
        }
        #expect(PolicyFormatter.format(again) == formatted, "format is not idempotent")
        // JSON policy format both ways.
        let viaJSON = try PolicySet(json: set.jsonString())
        for (a, b) in zip(set.staticPolicies, viaJSON.staticPolicies) { #expect(a.sameAST(as: b)) }
        for (a, b) in zip(set.templates, viaJSON.templates) { #expect(a.sameAST(as: b)) }
    }

    @Test(arguments: handWritten)
    func handWrittenPolicyRoundTrips(_ text: String) throws {
        try roundTrips(text)
    }

    @Test(arguments: corpusPolicyFiles)
    func corpusPolicyRoundTrips(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try roundTrips(text)
    }

    @Test func generatedExpressionsRoundTrip() throws {
        var rng = SplitMix(seed: 7)
        for _ in 0..<2000 {
            let e = ExprGenerator.make(&rng, depth: 5)
            let text = PolicyFormatter.expression(e)
            let parsed = try Parser.parseExpression(text).get()
            #expect(parsed == e, "\(text)")
        }
    }

    @Test func readsReferenceJSON() throws {
        // Produced by cedarpy.policies_to_json_str (extended `has` desugared, like pattern pieces).
        let json =
            #"{"templates":{},"staticPolicies":{"policy0":{"effect":"permit","principal":{"op":"==","entity":{"type":"User","id":"a"}},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[{"kind":"when","body":{"&&":{"left":{"has":{"left":{"Var":"principal"},"attr":"a"}},"right":{"like":{"left":{".":{"left":{"Var":"context"},"attr":"x"}},"pattern":[{"Literal":"a"},"Wildcard",{"Literal":"*"},{"Literal":"b"}]}}}}}]}},"templateLinks":[]}"#
        let set = try PolicySet(json: json)
        let text = try PolicySet(
            parsing: #"permit(principal == User::"a", action, resource) when { principal has a && context.x like "a*\*b" };"#
        )
        #expect(set.staticPolicies[0].sameAST(as: text.staticPolicies[0]))
        let ext = try PolicySet(
            json:
                #"{"effect":"permit","principal":{"op":"All"},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[{"kind":"when","body":{"has":{"left":{"Var":"principal"},"attr":["a","b"]}}}]}"#
        )
        let ref = try PolicySet(parsing: "permit(principal, action, resource) when { principal has a.b };")
        #expect(ext.staticPolicies[0].sameAST(as: ref.staticPolicies[0]))
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(n))
    }
}

/// Random ASTs in the shape the parser produces (for the format → parse property).
enum ExprGenerator {
    static func make(_ r: inout SplitMix, depth: Int) -> Expr {
        let strings: [CedarString] = ["", "a", "x y", "\u{e9}", "e\u{301}", "if", "*", "\"", "\\", "\n\t"]
        if depth == 0 || r.next(5) == 0 {
            switch r.next(6) {
            case 0: return .literal(.long(Int64(r.next(2000)) - 1000))
            case 1: return .literal(.bool(r.next(2) == 0))
            case 2: return .literal(.string(strings[r.next(strings.count)]))
            case 3:
                return .literal(.entity(EntityUID(type: EntityType(["User", "NS::Doc"][r.next(2)]), id: strings[r.next(strings.count)])))
            case 4: return .variable([.principal, .action, .resource, .context][r.next(4)])
            default: return .literal(.long(r.next(3) == 0 ? Int64.min : Int64.max))
            }
        }
        let d = depth - 1
        switch r.next(17) {
        case 0: return .not(make(&r, depth: d))
        case 1: return .negate(make(&r, depth: d))
        // Built as the parser builds them: a left operand that is a chain of the same operator
        // joins it (one n-ary node), so `(a && b) && c` and `a && b && c` are one shape.
        case 2: return .conjunction([make(&r, depth: d), make(&r, depth: d)])
        case 3: return .disjunction([make(&r, depth: d), make(&r, depth: d)])
        case 4: return .ifThenElse(make(&r, depth: d), make(&r, depth: d), make(&r, depth: d))
        case 5:
            let ops: [BinaryOp] = [
                .eq, .notEq, .less, .lessEq, .greater, .greaterEq, .in, .add, .sub, .mul, .contains, .containsAll, .containsAny, .hasTag,
                .getTag,
            ]
            return .binary(ops[r.next(ops.count)], make(&r, depth: d), make(&r, depth: d))
        case 6: return .getAttr(make(&r, depth: d), strings[r.next(strings.count)])
        case 7: return .hasAttr(make(&r, depth: d), strings[r.next(strings.count)])
        case 8:
            let els: [PatternElement] = [.wildcard, .literal("a"), .literal("*"), .literal("\u{e9}"), .literal("\\")]
            return .like(make(&r, depth: d), Pattern(elements: (0..<r.next(4)).map { _ in els[r.next(els.count)] }))
        case 9:
            if r.next(2) == 0 { return .isIn(make(&r, depth: d), EntityType("User"), make(&r, depth: d)) }
            return .isType(make(&r, depth: d), EntityType(["User", "A::B"][r.next(2)]))
        case 10: return .isEmpty(make(&r, depth: d))
        case 11: return .set((0..<r.next(3)).map { _ in make(&r, depth: d) })
        case 12:
            var seen = Set<CedarString>()
            var fields: [RecordField] = []
            for _ in 0..<r.next(3) {
                let k = strings[r.next(strings.count)]
                if seen.insert(k).inserted { fields.append(RecordField(key: k, value: make(&r, depth: d))) }
            }
            return .record(fields)
        case 13: return .call(.ip, [.literal(.string("10.0.0.1"))])
        case 14: return .call(.isInRange, [make(&r, depth: d), make(&r, depth: d)])
        case 15: return .call(.toDate, [make(&r, depth: d)])
        default: return .call(.offset, [make(&r, depth: d), make(&r, depth: d), make(&r, depth: d)])
        }
    }
}
