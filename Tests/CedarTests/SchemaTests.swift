import Foundation
import Testing

@testable import Cedar

private let appSchema = """
    namespace App {
        entity Group;
        entity User in [Group] { email: String, level?: Long } tags String;
        entity Folder;
        entity Doc in [Folder] { owner: User, "display name": String };
        entity Color enum ["red", "blue"];
        type Ctx = { mfa: Bool, ip: ipaddr, at?: datetime };
        action read;
        action view in [read] appliesTo { principal: [User], resource: [Doc], context: Ctx };
        action paint appliesTo { principal: User, resource: Color };
    }
    """

private let appSchemaJSON = """
    {"App": {
      "commonTypes": {"Ctx": {"type": "Record", "attributes": {
        "mfa": {"type": "Boolean"}, "ip": {"type": "Extension", "name": "ipaddr"},
        "at": {"type": "Extension", "name": "datetime", "required": false}}}},
      "entityTypes": {
        "Group": {},
        "User": {"memberOfTypes": ["Group"], "shape": {"type": "Record", "attributes": {
          "email": {"type": "String"}, "level": {"type": "Long", "required": false}}},
          "tags": {"type": "String"}},
        "Folder": {},
        "Doc": {"memberOfTypes": ["Folder"], "shape": {"type": "Record", "attributes": {
          "owner": {"type": "Entity", "name": "User"}, "display name": {"type": "String"}}}},
        "Color": {"enum": ["red", "blue"]}
      },
      "actions": {
        "read": {},
        "view": {"memberOf": [{"id": "read"}], "appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Doc"], "context": {"type": "Ctx"}}},
        "paint": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Color"]}}
      }
    }}
    """

@Suite struct SchemaTests {
    @Test func humanAndJSONFormatsAgree() throws {
        let a = try Schema(parsing: appSchema)
        let b = try Schema(json: appSchemaJSON)
        #expect(a.entityTypes == b.entityTypes)
        #expect(a.actions == b.actions)
        let user = try #require(a.entityTypes[EntityType("App::User")])
        #expect(user.memberOfTypes == [EntityType("App::Group")])
        #expect(user.attributes.attributes["level"]?.isRequired == false)
        #expect(user.tags == .string)
        #expect(a.entityTypes[EntityType("App::Color")]?.enumeratedIDs == ["red", "blue"])
        let view = try #require(a.actions[EntityUID("App::Action", "view")])
        #expect(view.memberOf == [EntityUID("App::Action", "read")])
        #expect(view.context.attributes["ip"]?.type == .extension("ipaddr"))
    }

    @Test func jsonPrintedSchemaParsesBackToTheSameSchema() throws {
        for text in [appSchema, ValidatorDifferentialRegressions.schemaText] {
            let a = try Schema(parsing: text)
            let b = try Schema(json: SchemaPrinter.json(a))
            #expect(a.entityTypes == b.entityTypes)
            #expect(a.actions == b.actions)
        }
    }

    @Test func printedSchemaParsesBackToTheSameSchema() throws {
        let a = try Schema(parsing: appSchema)
        let b = try Schema(parsing: SchemaPrinter.cedarschema(a))
        #expect(a.entityTypes == b.entityTypes)
        #expect(a.actions == b.actions)
    }

    @Test(arguments: [
        ("entity User in [Nope];", "Nope"),
        ("entity A { x: Nope };", "Nope"),
        ("entity A; entity A;", "twice"),
        ("entity A { x: Long", "expected"),
        ("action a appliesTo { principal: [Nope], resource: [Nope] };", "Nope"),
        ("type Long = String;", "reserved"),
        ("type T = T; entity A { x: T };", "itself"),
    ])
    func badSchemasAreRejected(_ text: String, _ fragment: String) {
        #expect {
            _ = try Schema(parsing: text)
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }

    /// A schema nesting records, sets or common types without end is refused with a message, never
    /// a stack overflow: 100,000 levels of each, in both formats; 60 levels still parse (the limit is
    /// the policy parser's nesting limit, 64).
    @Test func pathologicalNestingIsAnErrorNotACrash() throws {
        let n = 100_000
        let texts = [
            "entity E = { a: " + String(repeating: "{ a: ", count: n) + "Long" + String(repeating: " }", count: n) + " };",
            "entity E = { a: " + String(repeating: "Set<", count: n) + "Long" + String(repeating: ">", count: n) + " };",
            (0..<5_000).map { "type T\($0) = T\($0 + 1);" }.joined(separator: "\n") + "\ntype T5000 = Long;\nentity E = { a: T0 };",
            (0..<5_000).map { "type T\($0) = { a: T\($0 + 1) };" }.joined(separator: "\n") + "\ntype T5000 = Long;\nentity E = { a: T0 };",
        ]
        for text in texts {
            let error = #expect(throws: SchemaError.self) { try Schema(parsing: text) }
            #expect(error?.message.contains("nested too deeply") == true, "\(String(describing: error))")
        }
        let json =
            #"{"": {"entityTypes": {"E": {"shape": "# + String(repeating: #"{"type": "Set", "element": "#, count: n)
            + #"{"type": "Long"}"# + String(repeating: "}", count: n) + "}}, \"actions\": {}}}"
        #expect(throws: SchemaError.self) { try Schema(json: json) }
        let commonChain = (0..<5_000).map { #""T\#($0)": {"type": "T\#($0 + 1)"}"# }.joined(separator: ", ")
        let chained =
            #"{"": {"commonTypes": {\#(commonChain), "T5000": {"type": "Long"}}, "entityTypes": {"E": {"shape": {"type": "Record", "attributes": {"a": {"type": "T0"}}}}}, "actions": {}}}"#
        let chainError = #expect(throws: SchemaError.self) { try Schema(json: chained) }
        #expect(chainError?.message.contains("nested too deeply") == true, "\(String(describing: chainError))")

        let fine = SchemaBuilder.maxTypeDepth - 4
        let deep = try Schema(
            parsing: "entity E = { a: " + String(repeating: "{ a: ", count: fine) + "Long" + String(repeating: " }", count: fine) + " };"
        )
        #expect(deep.entityTypes[EntityType("E")] != nil)
    }

    /// Cedar 4.13+ (RFC 99): `ipaddr.isInRange` takes one range or more, each an ipaddr.
    @Test func variadicIsInRangeValidates() throws {
        let schema = try Schema(parsing: "entity U; action a appliesTo { principal: U, resource: U, context: { src: ipaddr } };")
        func errors(_ condition: String) throws -> Int {
            let set = try PolicySet(parsing: "permit(principal, action, resource) when { \(condition) };")
            return Validator(schema: schema, mode: .strict).validate(set).errors.count
        }
        #expect(try errors(#"context.src.isInRange(ip("10.0.0.0/8"))"#) == 0)
        #expect(try errors(#"context.src.isInRange(ip("10.0.0.0/8"), ip("192.168.0.0/16"), ip("fd00::/8"))"#) == 0)
        #expect(try errors(#"context.src.isInRange(ip("10.0.0.0/8"), "192.168.0.0/16")"#) > 0)
        #expect(try errors("context.src.isInRange()") > 0)
    }

    @Test func syntaxErrorsHaveLocations() {
        do {
            _ = try Schema(parsing: "entity A;\nentity B {\n  x Long };")
            Issue.record("expected an error")
        } catch {
            #expect(error.location == SourceLocation(line: 3, column: 5))
        }
    }

    @Test func implicitEntityReferencesAndExtensionValues() throws {
        let schema = try Schema(parsing: appSchema)
        let store = try schema.entityStore(
            json: """
                [{"uid": {"type": "App::User", "id": "alice"}, "attrs": {"email": "a@x", "level": 3}, "parents": [{"type": "App::Group", "id": "g"}], "tags": {"t": "v"}},
                 {"uid": {"type": "App::Doc", "id": "d"}, "attrs": {"owner": {"type": "App::User", "id": "alice"}, "display name": "D"}, "parents": []}]
                """
        )
        #expect(store[EntityUID("App::Doc", "d")]?.attributes["owner"] == .entity(EntityUID("App::User", "alice")))
        #expect(store[EntityUID("App::Action", "view")]?.parents == [EntityUID("App::Action", "read")])
        let request = try schema.request(
            json: """
                {"principal": {"type": "App::User", "id": "alice"}, "action": {"type": "App::Action", "id": "view"},
                 "resource": {"type": "App::Doc", "id": "d"}, "context": {"mfa": true, "ip": "10.0.0.1"}}
                """
        )
        guard case .extensionValue(.ipaddr) = request.context["ip"] else {
            Issue.record("ip was not read as an ipaddr")
            return
        }
        let policies = try PolicySet(
            parsing:
                #"permit(principal, action in App::Action::"read", resource) when { context.ip.isInRange(ip("10.0.0.0/8")) && resource.owner == principal };"#
        )
        #expect(Authorizer(policies: policies).isAuthorized(request, entities: store).decision == .allow)
    }

    @Test(arguments: [
        (#"[{"uid": {"type": "App::User", "id": "a"}, "attrs": {}, "parents": []}]"#, "email"),
        (#"[{"uid": {"type": "App::User", "id": "a"}, "attrs": {"email": "e", "x": 1}, "parents": []}]"#, "`x` is not declared"),
        (#"[{"uid": {"type": "App::User", "id": "a"}, "attrs": {"email": 1}, "parents": []}]"#, "String"),
        (#"[{"uid": {"type": "App::User", "id": "a"}, "attrs": {"email": "e"}, "parents": [{"type": "App::Doc", "id": "d"}]}]"#, "parent"),
        (#"[{"uid": {"type": "App::Nope", "id": "a"}, "attrs": {}, "parents": []}]"#, "not declared"),
        (#"[{"uid": {"type": "App::Color", "id": "green"}, "attrs": {}, "parents": []}]"#, "enumerated"),
        (#"[{"uid": {"type": "App::Folder", "id": "f"}, "attrs": {}, "parents": [], "tags": {"a": "b"}}]"#, "no tags"),
    ])
    func invalidEntitiesAreRejected(_ json: String, _ fragment: String) throws {
        let schema = try Schema(parsing: appSchema)
        #expect {
            _ = try schema.entityStore(json: json)
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }

    @Test(arguments: [
        (
            #"{"principal": {"type": "App::Doc", "id": "d"}, "action": {"type": "App::Action", "id": "view"}, "resource": {"type": "App::Doc", "id": "d"}, "context": {"mfa": true, "ip": "10.0.0.1"}}"#,
            "principal type"
        ),
        (
            #"{"principal": {"type": "App::User", "id": "a"}, "action": {"type": "App::Action", "id": "nope"}, "resource": {"type": "App::Doc", "id": "d"}}"#,
            "not declared"
        ),
        (
            #"{"principal": {"type": "App::User", "id": "a"}, "action": {"type": "App::Action", "id": "view"}, "resource": {"type": "App::Doc", "id": "d"}, "context": {"mfa": true, "ip": "nope"}}"#,
            "context"
        ),
        (
            #"{"principal": {"type": "App::User", "id": "a"}, "action": {"type": "App::Action", "id": "view"}, "resource": {"type": "App::Doc", "id": "d"}, "context": {"mfa": true}}"#,
            "ip"
        ),
    ])
    func invalidRequestsAreRejected(_ json: String, _ fragment: String) throws {
        let schema = try Schema(parsing: appSchema)
        #expect {
            _ = try schema.request(json: json)
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }
}

@Suite struct ValidatorTests {
    let schema: Schema

    init() throws { schema = try Schema(parsing: appSchema) }

    func errors(_ text: String, _ mode: ValidationMode = .strict) throws -> [PolicyValidationError] {
        Validator(schema: schema, mode: mode).validate(try PolicySet(parsing: text)).errors
    }

    @Test(arguments: [
        #"permit(principal, action == App::Action::"view", resource) when { principal.email like "*@x" && context.mfa };"#,
        #"permit(principal, action == App::Action::"view", resource) when { principal has level && principal.level > 3 };"#,
        #"permit(principal, action, resource) when { resource has nothing && resource.nothing };"#,
        #"permit(principal in App::Group::"g", action in App::Action::"read", resource in App::Folder::"f");"#,
        #"permit(principal, action == App::Action::"view", resource) when { principal.hasTag("k") && principal.getTag("k") == "v" };"#,
        #"permit(principal, action == App::Action::"view", resource) when { context has at && context.at < datetime("2025-01-01") };"#,
        #"permit(principal, action == App::Action::"paint", resource == App::Color::"red");"#,
        #"permit(principal, action == App::Action::"view", resource) when { resource.owner.email == "x" && resource["display name"] == "y" };"#,
        #"permit(principal, action, resource is App::Doc) when { principal has level && [1, 2].contains(principal.level + 1) || true };"#,
    ])
    func validPoliciesPass(_ text: String) throws {
        let e = try errors(text)
        #expect(e.isEmpty, "\(e)")
    }

    @Test(arguments: [
        (#"permit(principal, action, resource) when { principal.emial == "x" };"#, "attribute `emial`"),
        (#"permit(principal, action, resource) when { principal.level > 3 };"#, "optional attribute `level`"),
        (#"permit(principal, action == App::Action::"edit", resource);"#, "unrecognized action"),
        (#"permit(principal == App::Usr::"a", action, resource);"#, "unrecognized entity type `App::Usr`"),
        (#"permit(principal, action, resource) when { principal.email == 3 };"#, "not compatible"),
        (#"permit(principal, action, resource) when { principal.email + 1 == 2 };"#, "expected Long"),
        (#"permit(principal, action, resource) when { principal in [] };"#, "empty set literals"),
        (#"permit(principal, action, resource) when { ip("nope").isIpv4() };"#, "extension function argument"),
        (#"permit(principal, action, resource) when { ip(principal.email).isIpv4() };"#, "non-literal"),
        (#"permit(principal, action, resource) when { principal.getTag("k") == "v" };"#, "tag"),
        (#"permit(principal == App::User::"a", action == App::Action::"view", resource == App::User::"b");"#, "applicable action"),
        (#"permit(principal, action, resource) when { principal.level };"#, "optional"),
        (#"permit(principal, action == App::Action::"view", resource) when { context.mfa == 1 };"#, "not compatible"),
        (#"permit(principal, action, resource == App::Color::"green");"#, "enumerated"),
    ])
    func invalidPoliciesFail(_ text: String, _ fragment: String) throws {
        let e = try errors(text)
        #expect(e.contains { $0.message.contains(fragment) }, "\(e)")
        #expect(e.allSatisfy { $0.policyID == "policy0" && $0.location == SourceLocation(line: 1, column: 1) })
    }

    @Test func errorsNameTheExpression() throws {
        let e = try errors(#"permit(principal, action, resource) when { principal.emial == "x" };"#)
        #expect(e.first?.expression == "principal.emial")
        #expect(e.first?.description.contains("policy0") == true)
    }

    @Test func permissiveAllowsMixedEntityTypes() throws {
        let text = #"permit(principal, action == App::Action::"view", resource) when { [principal, resource].contains(principal) };"#
        #expect(try !errors(text, .strict).isEmpty)
        #expect(try errors(text, .permissive).isEmpty)
    }

    @Test func perPolicyVerdicts() throws {
        let set = try PolicySet(
            parsing: """
                permit(principal, action, resource);
                forbid(principal, action, resource) when { principal.nope };
                """
        )
        let report = Validator(schema: schema).validate(set)
        #expect(report.policyIDs == ["policy0", "policy1"])
        #expect(report.isValid(policy: "policy0"))
        #expect(!report.isValid(policy: "policy1"))
        #expect(report.errors.first?.location == SourceLocation(line: 2, column: 1))
    }
}

@Suite struct SchemaIntegrationTests {
    static var handWritten: [String] {
        guard let root = CedarTestData.root else { return [] }
        return IntegrationTestRunner.testFiles(in: [root + "/tests"])
    }

    @Test func handWrittenTestsArePresent() { #expect(Self.handWritten.count >= 10) }

    @Test(arguments: handWritten)
    func handWrittenTestPassesWithSchema(_ file: String) { Self.expectPasses(file) }

    @Test(arguments: CedarTestData.corpusFiles)
    func corpusCasePassesWithSchema(_ file: String) { Self.expectPasses(file) }

    static func expectPasses(_ file: String) {
        let report = IntegrationTestRunner.run(file: file, useSchema: true)
        #expect(report.fileError == nil, "\(report.fileError ?? "")")
        #expect(report.validationMismatch == nil, "\(file): \(report.validationMismatch ?? "")")
        for r in report.requests {
            #expect(r.inputError == nil, "\(file) \(r.description): \(r.inputError ?? "")")
            #expect(r.passed, "\(file) \(r.description): expected \(r.expected), got \(r.actual.map(\.description) ?? "nothing")")
        }
    }
}

/// Disagreements with cedarpy's `validate_policies` found by scripts/cedar_validate_difftest.py, kept as regressions.
@Suite struct ValidatorDifferentialRegressions {
    static let schemaText = """
        entity Group;
        entity User in [Group] { level?: Long, flag: Bool, dec: decimal, addr: { city: String } } tags String;
        entity Doc { level: Long };
        entity Folder;
        action read appliesTo { principal: [User, Group], resource: [Doc, Group], context: { who: User } };
        action view in [read] appliesTo { principal: User, resource: Doc };
        """

    @Test(arguments: [
        // The conditions are one `&&` chain: an always-false condition makes the rest unreachable.
        (#"permit(principal, action, resource) when { false } when { principal.nope };"#, true),
        (#"permit(principal, action, resource) unless { User::"a" is User } when { principal.nope };"#, true),
        (#"permit(principal, action, resource) when { (-3) == (3037000500) } when { principal.level > 5 };"#, true),
        (#"permit(principal, action, resource) when { principal has level } when { principal.level > 5 };"#, true),
        // `e is T in x` stops after a false `is`.
        (#"permit(principal, action == Action::"view", resource) when { principal is Doc in principal.dec };"#, true),
        // Entities of different types may be compared; literals of different kinds too.
        (#"permit(principal in Group::"g", action == Action::"read", resource is Group) unless { principal != resource };"#, true),
        (#"permit(principal, action, resource) when { principal == action && "a" != 1 };"#, true),
        (#"permit(principal, action, resource) when { {a: principal} == {a: action} };"#, false),
        (#"permit(principal, action, resource) when { [principal, action].contains(principal) };"#, false),
        // Unreachable code is not type-checked, but its entity types and actions must exist.
        (#"permit(principal, action, resource) when { false && ip("bad").isIpv4() && [] == [1] };"#, true),
        (#"permit(principal, action, resource) when { false } when { NS::User::"a" in [principal] };"#, false),
        (#"permit(principal, action, resource) when { false && Action::"zz" == action };"#, false),
        (#"permit(principal, action, resource) when { false && principal is Nope };"#, false),
        // The request's action is known per environment: `action == literal` and `action in literals`
        // are decided, so the rest of the chain is checked only where the action matches.
        (#"permit(principal, action, resource) when { action == 5 && "x" != action };"#, true),
        (#"permit(principal, action, resource) when { action == Action::"view" && resource.level > 1 };"#, true),
        (#"permit(principal, action, resource) when { action in [Action::"view"] && resource.level > 1 };"#, true),
        (#"permit(principal, action, resource) when { action != Action::"view" || resource.level > 1 };"#, true),
        (#"permit(principal, action, resource) when { resource.level > 1 };"#, false),
        (#"permit(principal, action, resource) when { Action::"read" in action && resource.level > 1 };"#, false),
        (#"permit(principal, action, resource) when { Action::"view" in action && resource.level > 1 };"#, false),
        (#"permit(principal, action, resource) when { action in action } when { principal.nope };"#, false),
        (#"permit(principal, action, resource) unless { action in action } when { principal.nope };"#, true),
        (#"permit(principal, action, resource) when { action == principal.level };"#, false),
        // Record keys compare by Unicode scalars: "é" (U+00E9) is not "e\u{301}", so `has` is false and the
        // `unless` does not end the chain.
        (#"permit(principal, action, resource) unless { {"\u{e9}": 42} has "e\u{301}" } when { ip("010.0.0.1").isIpv4() };"#, false),
        (#"permit(principal, action, resource) unless { {"\u{e9}": 42} has "\u{e9}" } when { ip("010.0.0.1").isIpv4() };"#, true),
    ])
    func verdictMatchesReference(_ text: String, _ valid: Bool) throws {
        let schema = try Schema(parsing: Self.schemaText)
        let report = Validator(schema: schema).validate(try PolicySet(parsing: text))
        #expect(report.isValid == valid, "\(report.errors)")
    }

    @Test func namespacedDefinitionsMayNotShadowGlobalOnes() {
        #expect(throws: SchemaError.self) { try Schema(parsing: "entity User; namespace NS { entity User; }") }
        #expect(throws: SchemaError.self) { try Schema(parsing: "type T = Long; namespace NS { type T = String; }") }
    }
}
