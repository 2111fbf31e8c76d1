import Foundation
import TesseraProtocol

extension PolicyTranslation {
    /// Rewrites one policy in Cedar's JSON policy format (its scope, then its conditions) from an
    /// old vocabulary into the one vocabulary, refusing what would not mean the same.
    struct Translator {
        let variant: Variant
        let source: String
        let policy: String

        typealias Object = [String: JSONValue]

        func refuse(_ problem: String) -> PolicyTranslationError {
            PolicyTranslationError(source: source, policy: policy, problem: problem)
        }

        /// The translated policy and its whole condition (scope included), or `nil` when the old
        /// evaluator never asked this variant's request of it.
        /// - Parameter old: the policy in the JSON policy format.
        /// - Returns: the new policy and the expression that says when it applies.
        /// - Throws: ``PolicyTranslationError`` for what cannot be translated.
        func policy(_ old: Object) throws(PolicyTranslationError) -> (policy: Object, condition: JSONValue)? {
            guard let action = old["action"]?.objectValue, matches(action) else { return nil }
            var clauses: [JSONValue] = []
            guard let principal = try scope(old["principal"]?.objectValue, variable: "principal", clauses: &clauses),
                let resource = try scope(old["resource"]?.objectValue, variable: "resource", clauses: &clauses)
            else { return nil }
            var head = clauses
            head.insert(
                contentsOf: [Self.constraint("principal", principal), Self.constraint("resource", resource)].compactMap { $0 },
                at: 0
            )
            for condition in old["conditions"].flatMap(Self.array) ?? [] {
                guard let body = condition.objectValue?["body"] else { throw refuse("has a condition without a body") }
                let translated = try expression(body)
                let when = condition.objectValue?["kind"]?.stringValue != "unless"
                clauses.append(when ? translated : Self.op("!", ["arg": translated]))
                head.append(when ? translated : Self.op("!", ["arg": translated]))
            }
            if variant.defaultDeny { clauses.insert(Self.guardExpression, at: 0) }
            var policy: Object = [
                "effect": old["effect"] ?? .string("forbid"), "principal": .object(principal),
                "action": .object(["op": .string("=="), "entity": Self.uid("Action", variant.newAction)]), "resource": .object(resource),
                "conditions": .array([]),
            ]
            if let body = Self.all(clauses) { policy["conditions"] = .array([.object(["kind": .string("when"), "body": body])]) }
            return (policy, Self.all(head) ?? .object(["Value": .bool(true)]))
        }

        /// Whether the old action constraint admits the variant's old action.
        func matches(_ action: Object) -> Bool {
            switch action["op"]?.stringValue {
            case "All": return true
            case "==", "in":
                if let entity = action["entity"]?.objectValue { return entity["id"]?.stringValue == variant.oldAction }
                return Self.array(action["entities"] ?? .null)?.contains { $0.objectValue?["id"]?.stringValue == variant.oldAction }
                    ?? false
            default: return false
            }
        }

        /// The new scope constraint for `principal` or `resource`; `nil` when the old one never matched.
        func scope(_ old: Object?, variable: String, clauses: inout [JSONValue]) throws(PolicyTranslationError) -> Object? {
            let isPrincipal = variable == "principal"
            let oldType = isPrincipal ? variant.oldPrincipal : variant.oldResource
            let becomesPeer = isPrincipal ? variant.principalBecomesPeer : variant.resourceBecomesPeer
            let newType = isPrincipal ? "Client" : variant.newResource
            guard let old, let op = old["op"]?.stringValue else { throw refuse("has an unreadable \(variable) constraint") }
            if old["slot"] != nil || old["in"]?.objectValue?["slot"] != nil { throw refuse("is a template, which was never evaluated") }
            let entity = (old["entity"] ?? old["in"]?.objectValue?["entity"])?.objectValue
            if let type = old["entity_type"]?.stringValue, type != oldType { return nil }
            guard op != "All" else { return isPrincipal ? ["op": .string("All")] : ["op": .string("is"), "entity_type": .string(newType)] }
            guard let entity else { return ["op": .string("is"), "entity_type": .string(isPrincipal && becomesPeer ? "Client" : newType)] }
            guard entity["type"]?.stringValue == oldType, let id = entity["id"]?.stringValue else { return nil }
            if becomesPeer {
                // The old evaluator's entity store was empty: `in` and `==` both meant this one peer.
                let path = isPrincipal ? ["peer"] : ["chaining", "peer"]
                clauses.append(Self.op("==", ["left": Self.context(path), "right": .object(["Value": .string(id)])]))
                return isPrincipal ? ["op": .string("All")] : ["op": .string("is"), "entity_type": .string(newType)]
            }
            return ["op": .string("=="), "entity": Self.uid(newType, id)]
        }

        /// A condition in the new words.
        func expression(_ value: JSONValue) throws(PolicyTranslationError) -> JSONValue {
            guard let node = value.objectValue, node.count == 1, let (key, body) = node.first.map({ ($0.key, $0.value) }) else {
                throw refuse("has an expression that cannot be read")
            }
            switch key {
            case "Value": return .object(["Value": try literal(body)])
            case "Var":
                switch body.stringValue {
                case "principal"? where !variant.principalBecomesPeer, "resource"? where !variant.resourceBecomesPeer: return value
                case let name?: throw refuse("uses `\(name)` in a condition, which names something else in the one vocabulary")
                case nil: throw refuse("has an unreadable variable")
                }
            case "Slot": throw refuse("is a template, which was never evaluated")
            case ".", "has": return try attribute(key, body)
            case "in", "hasTag", "getTag":
                throw refuse("uses `\(key)`, which asked an entity hierarchy the old vocabulary did not have")
            case "contains", "containsAll", "containsAny":
                if let left = body.objectValue?["left"], Self.isContext(left, "scopes"), variant.newAction == "challenge" {
                    return Self.op(key, ["left": left, "right": try scopes(body.objectValue?["right"] ?? .null)])
                }
                return try recurse(key, body)
            case "isEmpty":
                if let arg = body.objectValue?["arg"], Self.isContext(arg, "scopes"), variant.newAction == "challenge" { return value }
                return try recurse(key, body)
            case "is":
                if body.objectValue?["in"] != nil {
                    throw refuse("uses `is … in`, which asked an entity hierarchy the old vocabulary did not have")
                }
                var rewritten = body.objectValue ?? [:]
                if let type = rewritten["entity_type"]?.stringValue, let renamed = variant.renames[type] {
                    rewritten["entity_type"] = .string(renamed)
                }
                rewritten["left"] = try expression(rewritten["left"] ?? .null)
                return .object(["is": .object(rewritten)])
            case "like":
                var rewritten = body.objectValue ?? [:]
                rewritten["left"] = try expression(rewritten["left"] ?? .null)
                return .object(["like": .object(rewritten)])
            default: return try recurse(key, body)
            }
        }

        /// Every operand of an operator, translated.
        func recurse(_ key: String, _ body: JSONValue) throws(PolicyTranslationError) -> JSONValue {
            switch body {
            case .array(let items):
                var out: [JSONValue] = []
                for item in items { out.append(try expression(item)) }
                return .object([key: .array(out)])
            case .object(let members):
                var out: Object = [:]
                for (name, member) in members { out[name] = try expression(member) }
                return .object([key: .object(out)])
            default: throw refuse("has an expression that cannot be read")
            }
        }

        /// `context.<old>` → its new path; an attribute of anything but the context is refused.
        func attribute(_ key: String, _ body: JSONValue) throws(PolicyTranslationError) -> JSONValue {
            guard let left = body.objectValue?["left"], let name = body.objectValue?["attr"]?.stringValue else {
                throw refuse("has an unreadable attribute access")
            }
            if left.objectValue?["Var"]?.stringValue == "context" {
                guard let path = variant.context[name] else {
                    throw refuse("reads `context.\(name)`, which the old vocabulary did not have")
                }
                if key == "." && name == "scopes" && variant.newAction == "challenge" {
                    throw refuse(
                        "uses `context.scopes` other than with contains, containsAll, containsAny or isEmpty of literal scope names"
                    )
                }
                let parent = Self.context(Array(path.dropLast()))
                return Self.op(key, ["left": parent, "attr": .string(path[path.count - 1])])
            }
            guard Self.isContextPath(left) else {
                throw refuse("reads an attribute of an entity; the old vocabulary's entities had none")
            }
            return Self.op(key, ["left": try expression(left), "attr": .string(name)])
        }

        /// A literal value, with renamed entity types; `Peer` and `Action` entities are refused.
        func literal(_ value: JSONValue) throws(PolicyTranslationError) -> JSONValue {
            switch value {
            case .number(let number):
                guard number.rounded() == number, abs(number) < 9e15 else {
                    throw refuse("has a number that cannot be carried over exactly")
                }
                return value
            case .array(let items):
                var out: [JSONValue] = []
                for item in items { out.append(try literal(item)) }
                return .array(out)
            case .object(let members):
                if let entity = members["__entity"]?.objectValue, let type = entity["type"]?.stringValue {
                    guard type != "Peer", type != "Action" else {
                        throw refuse("names a \(type) entity in a condition, which the one vocabulary asks differently")
                    }
                    return .object(["__entity": Self.uid(variant.renames[type] ?? type, entity["id"]?.stringValue ?? "")])
                }
                var out: Object = [:]
                for (name, member) in members { out[name] = try literal(member) }
                return .object(out)
            default: return value
            }
        }

        /// String scope names → `Scope` entities (`context.scopes` holds entities in the one vocabulary).
        func scopes(_ value: JSONValue) throws(PolicyTranslationError) -> JSONValue {
            func scope(_ item: JSONValue) throws(PolicyTranslationError) -> JSONValue {
                guard let name = (item.objectValue?["Value"] ?? item).stringValue else {
                    throw refuse("compares `context.scopes` with something other than literal scope names")
                }
                return .object(["Value": .object(["__entity": Self.uid("Scope", name)])])
            }
            if let items = value.objectValue?["Set"].flatMap(Self.array) ?? value.objectValue?["Value"].flatMap(Self.array) {
                var out: [JSONValue] = []
                for item in items { out.append(try scope(item)) }
                return .object(["Set": .array(out)])
            }
            return try scope(value)
        }

        // MARK: - Building blocks

        /// `context has chaining`: the old chaining evaluators were asked only with those facts.
        static let guardExpression = op("has", ["left": .object(["Var": .string("context")]), "attr": .string("chaining")])

        static func op(_ key: String, _ body: Object) -> JSONValue { .object([key: .object(body)]) }

        static func uid(_ type: String, _ id: String) -> JSONValue { .object(["type": .string(type), "id": .string(id)]) }

        static func array(_ value: JSONValue) -> [JSONValue]? {
            if case .array(let items) = value { return items }
            return nil
        }

        /// `context.a.b…`.
        static func context(_ path: [String]) -> JSONValue {
            path.reduce(JSONValue.object(["Var": .string("context")])) { op(".", ["left": $0, "attr": .string($1)]) }
        }

        static func isContext(_ value: JSONValue, _ name: String) -> Bool {
            value == context([name])
        }

        static func isContextPath(_ value: JSONValue) -> Bool {
            guard let access = value.objectValue?["."]?.objectValue, let left = access["left"] else { return false }
            return left.objectValue?["Var"]?.stringValue == "context" || isContextPath(left)
        }

        /// A scope constraint as an expression (for the default-deny forbid's `unless`).
        static func constraint(_ variable: String, _ scope: Object) -> JSONValue? {
            let subject = JSONValue.object(["Var": .string(variable)])
            switch scope["op"]?.stringValue {
            case "==": return scope["entity"].map { op("==", ["left": subject, "right": .object(["Value": .object(["__entity": $0])])]) }
            case "is": return scope["entity_type"].map { op("is", ["left": subject, "entity_type": $0]) }
            default: return nil
            }
        }

        /// `a && b && …`, or `nil` for none.
        static func all(_ clauses: [JSONValue]) -> JSONValue? {
            clauses.dropFirst().reduce(clauses.first) { partial, next in partial.map { op("&&", ["left": $0, "right": next]) } }
        }

        /// The old evaluator's default deny: `forbid … when { <guard> && !(<any permit>) }`.
        static func defaultDeny(_ variant: Variant, permits: [JSONValue], label: String) -> JSONValue {
            let any = permits.dropFirst().reduce(permits.first ?? .object(["Value": .bool(false)])) { op("||", ["left": $0, "right": $1]) }
            let body = op("&&", ["left": guardExpression, "right": op("!", ["arg": any])])
            return .object([
                "effect": .string("forbid"), "principal": .object(["op": .string("All")]),
                "action": .object(["op": .string("=="), "entity": uid("Action", variant.newAction)]),
                "resource": .object(["op": .string("is"), "entity_type": .string(variant.newResource)]),
                "conditions": .array([.object(["kind": .string("when"), "body": body])]),
                "annotations": .object(["id": .string("\(label): permitted by no policy (\(variant.oldAction))")]),
            ])
        }

        /// JSON text with sorted members and integral numbers written as integers.
        static func write(_ value: JSONValue) -> String {
            switch value {
            case .null: return "null"
            case .bool(let flag): return flag ? "true" : "false"
            case .number(let number): return number.rounded() == number && abs(number) < 9e15 ? String(Int64(number)) : "\(number)"
            case .string(let text): return quote(text)
            case .array(let items): return "[" + items.map(write).joined(separator: ",") + "]"
            case .object(let members):
                return "{" + members.sorted { $0.key < $1.key }.map { quote($0.key) + ":" + write($0.value) }.joined(separator: ",") + "}"
            }
        }

        static func quote(_ text: String) -> String {
            (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        }
    }
}
