import Testing

@testable import Cedar

@Suite struct EntityStoreTests {
    private static func entity(attrs: String = "{}", extra: String = "") -> String {
        #"[{"uid": {"type": "User", "id": "a"}, "attrs": \#(attrs), "parents": []\#(extra)}]"#
    }

    /// Entity JSON the reference rejects.
    @Test(arguments: [
        entity(attrs: #"{"x": null}"#),
        entity(attrs: #"{"x": 1.5}"#),
        entity(attrs: #"{"x": 1e3}"#),
        entity(attrs: #"{"x": -0}"#),
        entity(attrs: #"{"x": 9223372036854775808}"#),
        entity(attrs: #"{"x": 1, "x": 2}"#),
        entity(attrs: #"{"x": {"__entity": {"type": "User ", "id": "b"}}}"#),
        entity(attrs: #"{"x": {"__extn": {"fn": "ip", "arg": "1.2.3"}}}"#),
        entity(attrs: #"{"x": {"__extn": {"fn": "nope", "arg": "1"}}}"#),
        entity(attrs: #"{"x": {"__expr": "1"}}"#),
        #"[{"uid": {"type": "User", "id": "a"}, "parents": []}]"#,
        #"[{"uid": {"type": "User", "id": "a"}, "attrs": {}}]"#,
        #"[{"uid": {"type": "User", "id": "a"}, "attrs": {}, "parents": [{"type": "User", "id": "a"}]}]"#,
        #"[{"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]}, {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}]}]"#,
        #"[{"uid": {"type": "User", "id": "a"}, "attrs": {"x": 1}, "parents": []}, {"uid": {"type": "User", "id": "a"}, "attrs": {"x": 2}, "parents": []}]"#,
        #"[{"uid": {"type": "__cedar::X", "id": "x"}, "attrs": {}, "parents": []}]"#,
        #"[{"uid": {"type": "if", "id": "x"}, "attrs": {}, "parents": []}]"#,
        #"[{"uid": {"type": "A:: B", "id": "x"}, "attrs": {}, "parents": []}]"#,
        "{}",
    ])
    func rejects(_ json: String) {
        #expect(throws: CedarParseError.self) { try EntityStore(json: json) }
    }

    /// Entity JSON the reference accepts (several found by the differential entity probe).
    @Test(arguments: [
        "[]",
        entity(),
        entity(extra: #", "tags": {"t": 1}"#),
        entity(extra: #", "extra": 1"#),
        #"[{"uid": {"type": "User", "id": "a", "x": 1}, "attrs": {}, "parents": []}]"#,
        #"[{"uid": {"__entity": {"type": "User", "id": "a"}}, "attrs": {}, "parents": []}]"#,
        #"[{"uid": {"type": "a__cedar", "id": "x"}, "attrs": {}, "parents": []}]"#,
        #"[{"uid": {"type": "User", "id": "a"}, "attrs": {}, "parents": []}, {"uid": {"type": "User", "id": "a"}, "attrs": {}, "parents": []}]"#,
        entity(attrs: #"{"x": {"__extn": {"fn": "ip"}}}"#),
        entity(attrs: #"{"x": {"__entity": "User::\"b\""}}"#),
        entity(attrs: #"{"x": {"__expr": 5}}"#),
        entity(
            attrs:
                #"{"x": {"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "2024-01-01"}}, {"__extn": {"fn": "duration", "arg": "1h"}}]}}}"#
        ),
    ])
    func accepts(_ json: String) {
        #expect(throws: Never.self) { try EntityStore(json: json) }
    }

    @Test func malformedEscapesAreRecords() throws {
        let store = try EntityStore(
            json: Self.entity(attrs: #"{"x": {"__extn": {"fn": "ip"}}, "y": {"__entity": {"type": "User", "id": "b", "z": 1}}}"#)
        )
        let a = try #require(store[EntityUID("User", "a")])
        #expect(a.attributes["x"] == .record(["__extn": .record(["fn": .string("ip")])]))
        #expect(a.attributes["y"] == .entity(EntityUID("User", "b")))
    }

    @Test func ancestorsAreTransitiveAndIncludeUnstoredParents() throws {
        let store = try EntityStore(
            json: #"""
                [{"uid": {"type": "U", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "1"}]},
                 {"uid": {"type": "G", "id": "1"}, "attrs": {}, "parents": [{"type": "G", "id": "2"}]},
                 {"uid": {"type": "G", "id": "2"}, "attrs": {}, "parents": [{"type": "G", "id": "3"}]}]
                """#
        )
        let a = EntityUID("U", "a")
        #expect(store.isDescendant(a, of: EntityUID("G", "3")))
        #expect(store.isDescendant(a, of: a))
        #expect(!store.isDescendant(EntityUID("G", "3"), of: a))
    }

    @Test func typeAndIdObjectInAttrsIsARecord() throws {
        let store = try EntityStore(json: Self.entity(attrs: #"{"m": {"type": "User", "id": "a"}}"#))
        let a = try #require(store[EntityUID("User", "a")])
        #expect(a.attributes["m"] == .record(["type": .string("User"), "id": .string("a")]))
    }

    @Test func stringsAreComparedByScalars() throws {
        let store = try EntityStore(json: #"[{"uid": {"type": "U", "id": "\u00e9"}, "attrs": {"e\u0301": 1}, "parents": []}]"#)
        #expect(store[EntityUID("U", "e\u{301}")] == nil)
        let e = try #require(store[EntityUID("U", "\u{e9}")])
        #expect(e.attributes["\u{e9}"] == nil)
        #expect(e.attributes["e\u{301}"] == .long(1))
    }

    @Test func requestJSONAcceptsEveryEntityForm() throws {
        let r = try AuthorizationRequest(
            json:
                #"{"principal": "User::\"a\"", "action": {"__entity": {"type": "Action", "id": "v"}}, "resource": {"type": "D", "id": "d"}, "context": {"n": 1}}"#
        )
        #expect(r.principal == EntityUID("User", "a"))
        #expect(r.action == EntityUID("Action", "v"))
        #expect(r.context["n"] == .long(1))
        #expect(throws: CedarParseError.self) {
            try AuthorizationRequest(
                json: #"{"principal": "User::\"a\"", "action": "Action::\"v\"", "resource": "D::\"d\"", "context": 1}"#
            )
        }
    }
}

@Suite struct EntityJSONEscapeTests {
    @Test func attrsAndTagsAreMapsNotEscapes() throws {
        let store = try EntityStore(
            json:
                #"[{"uid": {"type": "User", "id": "a"}, "attrs": {"__entity": {"type": "User", "id": "b"}}, "tags": {"__extn": {"fn": "ip", "arg": "1.2.3.4"}}, "parents": []}]"#
        )
        let a = try #require(store[EntityUID("User", "a")])
        #expect(a.attributes["__entity"] == .record(["type": .string("User"), "id": .string("b")]))
        #expect(a.tags["__extn"] == .record(["fn": .string("ip"), "arg": .string("1.2.3.4")]))
    }

    @Test func contextEscapeIsNotARecord() {
        #expect(throws: CedarParseError.self) {
            try AuthorizationRequest(
                json:
                    #"{"principal": "U::\"a\"", "action": "Action::\"v\"", "resource": "D::\"d\"", "context": {"__entity": {"type": "U", "id": "b"}}}"#
            )
        }
    }

    @Test func escapeKeysBesideOtherKeysAreRecordFields() throws {
        let store = try EntityStore(
            json:
                #"[{"uid": {"type": "U", "id": "a"}, "attrs": {"x": {"__entity": {"type": "U", "id": "b"}, "__extn": 1, "k": 2}}, "parents": []}]"#
        )
        let a = try #require(store[EntityUID("U", "a")])
        #expect(
            a.attributes["x"]
                == .record(["__entity": .record(["type": .string("U"), "id": .string("b")]), "__extn": .long(1), "k": .long(2)])
        )
        #expect(throws: CedarParseError.self) {
            try EntityStore(
                json:
                    #"[{"uid": {"type": "U", "id": "a"}, "attrs": {"x": {"__entity": {"type": "U", "id": "b"}, "__entity": {"type": "U", "id": "c"}}}, "parents": []}]"#
            )
        }
    }
}

@Suite struct JSONQuirkTests {
    /// Found by the differential fuzzers: serde reads `{type, id}` from a two-element array too.
    @Test func entityReferencesMayBeTypeIdPairs() throws {
        let store = try EntityStore(
            json: #"[{"uid": ["User", "a"], "attrs": {"x": {"__entity": ["User", "b"]}}, "parents": [["G", "g"]]}]"#
        )
        let a = try #require(store[EntityUID("User", "a")])
        #expect(a.attributes["x"] == .entity(EntityUID("User", "b")))
        #expect(store.isDescendant(EntityUID("User", "a"), of: EntityUID("G", "g")))
    }

    private static func policy(_ principal: String, annotations: String = "") -> String {
        #"{"staticPolicies": {"p": {"effect": "permit", "principal": \#(principal), "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []\#(annotations)}}, "templates": {}, "templateLinks": []}"#
    }

    @Test func policyJSONStrictnessMatchesTheReference() throws {
        // Accepted by the reference.
        _ = try PolicySet(json: Self.policy(#"{"op": "==", "entity": ["User", "a"]}"#))
        _ = try PolicySet(json: Self.policy(#"{"op": "All", "extra": 1}"#))
        _ = try PolicySet(json: Self.policy(#"{"op": "is", "entity_type": "User", "in": null}"#))
        // Rejected by the reference.
        #expect(throws: CedarParseError.self) { try PolicySet(json: Self.policy(#"{"op": "is", "entity_type": "User", "x": 1}"#)) }
        #expect(throws: CedarParseError.self) {
            try PolicySet(json: Self.policy(#"{"op": "All"}"#, annotations: #", "annotations": {"!": "x"}"#))
        }
        #expect(throws: CedarParseError.self) { try PolicySet(json: #"{"staticPolicies": {}}"#) }
        #expect(throws: CedarParseError.self) {
            try PolicySet(json: #"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}}"#)
        }
        #expect(throws: CedarParseError.self) {
            try PolicySet(
                json:
                    #"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": {"==": {"left": {"Value": 1}, "right": {"Value": 1}, "x": 1}}}]}"#
            )
        }
    }
}

@Suite struct RequestJSONTests {
    /// Found by the context fuzzer: the reference binding reads a null context as the empty record.
    @Test func nullContextIsEmpty() throws {
        let r = try AuthorizationRequest(
            json: #"{"principal": "User::\"a\"", "action": "Action::\"v\"", "resource": "D::\"d\"", "context": null}"#
        )
        #expect(r.context.isEmpty)
        let missing = try AuthorizationRequest(json: #"{"principal": "User::\"a\"", "action": "Action::\"v\"", "resource": "D::\"d\""}"#)
        #expect(missing.context.isEmpty)
    }

    @Test(arguments: ["[]", "1", "\"x\"", #"{"__entity": {"type": "U", "id": "b"}}"#, #"{"a": null}"#, #"{"a": -0}"#])
    func contextMustBeARecordOfCedarValues(_ context: String) {
        #expect(throws: CedarParseError.self) {
            try AuthorizationRequest(
                json: #"{"principal": "User::\"a\"", "action": "Action::\"v\"", "resource": "D::\"d\"", "context": \#(context)}"#
            )
        }
    }
}
