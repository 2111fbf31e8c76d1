import Testing

@testable import Cedar

/// Random policy sets and requests over a store with group and folder hierarchies, ReBAC
/// attributes, missing attributes, tags and action groups: ``Authorizer`` (exact scope index,
/// shared condition atoms, cached request entities) answers exactly as ``PlainAuthorizer`` (every
/// policy, whole conditions, every entity read from the store) — decision, reasons, and each error
/// with its code and message.
@Suite struct AuthorizerPropertyTests {
    /// SplitMix64: a fixed seed makes every run the same and a failure reproducible.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let storeJSON = #"""
        [
          {"uid": {"type": "Group", "id": "g0"}, "attrs": {"dept": "eng"}, "parents": []},
          {"uid": {"type": "Group", "id": "g1"}, "attrs": {}, "parents": []},
          {"uid": {"type": "Group", "id": "g2"}, "attrs": {}, "parents": [{"type": "Group", "id": "g0"}]},
          {"uid": {"type": "Group", "id": "g3"}, "attrs": {}, "parents": [{"type": "Group", "id": "g1"}, {"type": "Group", "id": "g2"}]},
          {"uid": {"type": "User", "id": "u0"}, "attrs": {"dept": "eng", "level": 3, "manager": {"__entity": {"type": "User", "id": "u1"}}},
            "parents": [{"type": "Group", "id": "g3"}], "tags": {"t": "v"}},
          {"uid": {"type": "User", "id": "u1"}, "attrs": {"dept": "ops", "level": 5}, "parents": [{"type": "Group", "id": "g1"}]},
          {"uid": {"type": "User", "id": "u2"}, "attrs": {"dept": "eng", "level": 1, "manager": {"__entity": {"type": "User", "id": "u0"}}},
            "parents": [{"type": "Group", "id": "g2"}], "tags": {"t": "w"}},
          {"uid": {"type": "User", "id": "u3"}, "attrs": {}, "parents": []},
          {"uid": {"type": "Folder", "id": "f0"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "u1"}}}, "parents": []},
          {"uid": {"type": "Folder", "id": "f1"}, "attrs": {}, "parents": [{"type": "Folder", "id": "f0"}]},
          {"uid": {"type": "Doc", "id": "d0"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "u0"}}, "level": 2, "dept": "eng",
            "tags": ["a", "b"], "editors": [{"__entity": {"type": "User", "id": "u2"}}]}, "parents": [{"type": "Folder", "id": "f1"}]},
          {"uid": {"type": "Doc", "id": "d1"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "u2"}}, "level": 4, "dept": "ops",
            "tags": [], "editors": []}, "parents": [{"type": "Folder", "id": "f0"}]},
          {"uid": {"type": "Doc", "id": "d2"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "ghost"}}, "tags": ["c"],
            "editors": ["u0"]}, "parents": [{"type": "Folder", "id": "f1"}]},
          {"uid": {"type": "Doc", "id": "d3"}, "attrs": {"level": 0}, "parents": []},
          {"uid": {"type": "Action", "id": "view"}, "attrs": {}, "parents": [{"type": "Action", "id": "read"}]},
          {"uid": {"type": "Action", "id": "download"}, "attrs": {}, "parents": [{"type": "Action", "id": "read"}]},
          {"uid": {"type": "Action", "id": "edit"}, "attrs": {}, "parents": [{"type": "Action", "id": "write"}]},
          {"uid": {"type": "Action", "id": "read"}, "attrs": {}, "parents": [{"type": "Action", "id": "all"}]},
          {"uid": {"type": "Action", "id": "write"}, "attrs": {}, "parents": [{"type": "Action", "id": "all"}]},
          {"uid": {"type": "Action", "id": "all"}, "attrs": {}, "parents": []}
        ]
        """#

    static let users = ["u0", "u1", "u2", "u3", "ghost"]
    static let groups = ["g0", "g1", "g2", "g3", "gx"]
    static let actions = ["view", "download", "edit", "read", "write", "all", "gone"]
    static let resources = [
        ("Doc", "d0"), ("Doc", "d1"), ("Doc", "d2"), ("Doc", "d3"), ("Doc", "dx"), ("Folder", "f0"), ("Folder", "f1"), ("User", "u0"),
    ]

    static let atoms = [
        "resource.owner == principal", "principal in resource.editors", "principal.level >= resource.level",
        #"principal.dept == "eng""#, "resource.dept == principal.dept", #"resource.tags.contains("a")"#,
        #"resource.tags.containsAny(["b", "c"])"#, "context.mfa", "context.n > 3", "context.mfa == true",
        #"principal in Group::"g0""#, #"principal in [Group::"g1", Group::"gx"]"#, #"principal is User in Group::"g2""#,
        "resource.owner.manager == principal", "principal has dept && principal.dept == resource.dept",
        #"principal.hasTag("t") && principal.getTag("t") == "v""#, #"principal.getTag("t") == "w""#,
        #"resource.owner == "u0""#, "principal == resource", #"action in Action::"read""#, #"action == Action::"view""#,
        "1 + principal.level > 2", #"context.s like "a*""#, "principal.level", "resource is Doc", #"resource in Folder::"f0""#,
        "(if context.mfa then principal.level > 1 else resource.level < 3)", "context has s", "principal.nope",
        "principal has manager && principal.manager in Group::\"g1\"", "resource.editors.isEmpty()", "true", "false",
        "principal.level * 4611686018427387904 > 0", "principal in principal.manager",
    ]

    static func pick<T>(_ list: [T], _ g: inout Generator) -> T { list[Int.random(in: 0..<list.count, using: &g)] }

    static func expression(_ g: inout Generator, depth: Int = 0) -> String {
        let roll = Int.random(in: 0..<10, using: &g)
        if depth >= 2 || roll < 5 { return pick(atoms, &g) }
        switch roll {
        case 5, 6: return "(\(expression(&g, depth: depth + 1)) && \(expression(&g, depth: depth + 1)))"
        case 7, 8: return "(\(expression(&g, depth: depth + 1)) || \(expression(&g, depth: depth + 1)))"
        default: return "!(\(expression(&g, depth: depth + 1)))"
        }
    }

    static func scope(_ g: inout Generator) -> String {
        let principal: String
        switch Int.random(in: 0..<6, using: &g) {
        case 0: principal = "principal"
        case 1: principal = #"principal == User::"\#(pick(users, &g))""#
        case 2: principal = #"principal in Group::"\#(pick(groups, &g))""#
        case 3: principal = #"principal == Group::"\#(pick(groups, &g))""#
        case 4: principal = "principal is User"
        default: principal = #"principal is User in Group::"\#(pick(groups, &g))""#
        }
        let action: String
        switch Int.random(in: 0..<4, using: &g) {
        case 0: action = "action"
        case 1: action = #"action == Action::"\#(pick(actions, &g))""#
        case 2: action = #"action in Action::"\#(pick(actions, &g))""#
        default: action = #"action in [Action::"\#(pick(actions, &g))", Action::"\#(pick(actions, &g))"]"#
        }
        let resource: String
        switch Int.random(in: 0..<6, using: &g) {
        case 0: resource = "resource"
        case 1: resource = #"resource == Doc::"d\#(Int.random(in: 0..<4, using: &g))""#
        case 2: resource = #"resource in Folder::"f\#(Int.random(in: 0..<2, using: &g))""#
        case 3: resource = "resource is Doc"
        case 4: resource = #"resource is Doc in Folder::"f\#(Int.random(in: 0..<2, using: &g))""#
        default: resource = #"resource == Folder::"f0""#
        }
        return "\(principal), \(action), \(resource)"
    }

    static func policySet(_ g: inout Generator) -> String {
        (0..<Int.random(in: 1...14, using: &g)).map { _ in
            let effect = Int.random(in: 0..<4, using: &g) == 0 ? "forbid" : "permit"
            let clauses = (0..<Int.random(in: 0...3, using: &g)).map { _ in
                "\(Bool.random(using: &g) ? "when" : "unless") { \(expression(&g)) }"
            }
            return "\(effect)(\(scope(&g))) \(clauses.joined(separator: " "));"
        }.joined(separator: "\n")
    }

    static func request(_ g: inout Generator) -> AuthorizationRequest {
        let (rtype, rid) = pick(resources, &g)
        var context: [CedarString: CedarValue] = [:]
        if Int.random(in: 0..<4, using: &g) > 0 {
            context["mfa"] = Int.random(in: 0..<5, using: &g) == 0 ? .long(1) : .bool(.random(using: &g))
        }
        if Bool.random(using: &g) { context["n"] = .long(Int64.random(in: 0..<8, using: &g)) }
        if Bool.random(using: &g) { context["s"] = .string(pick(["abc", "b", ""], &g)) }
        return AuthorizationRequest(
            principal: EntityUID("User", pick(users, &g)),
            action: EntityUID("Action", pick(actions, &g)),
            resource: EntityUID(rtype, rid),
            context: context
        )
    }

    @Test func indexedEvaluationEqualsPlainEvaluation() throws {
        let store = try EntityStore(json: Self.storeJSON)
        var g = Generator(state: 2026)
        var compared = 0
        var outcomes: Set<String> = []
        for _ in 0..<400 {
            let text = Self.policySet(&g)
            let set = try PolicySet(parsing: text)
            let authorizer = Authorizer(policies: set)
            for _ in 0..<15 {
                let request = Self.request(&g)
                let fast = AuthorizerFastPathTests.Answer(authorizer.isAuthorized(request, entities: store))
                let plain = AuthorizerFastPathTests.Answer(PlainAuthorizer.isAuthorized(set, request, entities: store))
                #expect(fast == plain, "\(text)\n\(request)")
                if fast != plain { return }
                compared += 1
                outcomes.insert("\(fast.decision) \(fast.errors.isEmpty ? "clean" : "errors")")
            }
        }
        #expect(compared == 6000)
        // The generator reaches every kind of outcome.
        #expect(outcomes == ["allow clean", "allow errors", "deny clean", "deny errors"])
    }
}
