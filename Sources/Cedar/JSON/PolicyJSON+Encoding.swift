extension PolicyJSON {
    static func encode(_ p: Policy) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "effect", value: .string(p.effect.rawValue)),
            JSONMember(key: "principal", value: encodeScope(p.principal)),
            JSONMember(key: "action", value: encodeAction(p.action)),
            JSONMember(key: "resource", value: encodeScope(p.resource)),
            JSONMember(
                key: "conditions",
                value: .array(
                    p.conditions.map { .object(["kind": .string($0.isWhen ? "when" : "unless"), "body": encode($0.body)]) }
                )
            ),
        ]
        if !p.annotations.isEmpty {
            members.append(
                JSONMember(
                    key: "annotations",
                    value: .object(p.annotations.map { JSONMember(key: $0.key, value: $0.hasValue ? .string($0.value) : .null) })
                )
            )
        }
        return .object(members)
    }

    private static func encodeRef(_ r: EntityReference) -> JSONMember {
        switch r {
        case .entity(let e): JSONMember(key: "entity", value: ValueJSON.encodeUID(e))
        case .slot(let s): JSONMember(key: "slot", value: .string(s.rawValue))
        }
    }

    private static func encodeScope(_ c: ScopeConstraint) -> JSONValue {
        switch c {
        case .any: .object(["op": .string("All")])
        case .equals(let r): .object([JSONMember(key: "op", value: .string("==")), encodeRef(r)])
        case .in(let r): .object([JSONMember(key: "op", value: .string("in")), encodeRef(r)])
        case .is(let t): .object(["op": .string("is"), "entity_type": .string(t.name)])
        case .isIn(let t, let r):
            .object([
                JSONMember(key: "op", value: .string("is")), JSONMember(key: "entity_type", value: .string(t.name)),
                JSONMember(key: "in", value: .object([encodeRef(r)])),
            ])
        }
    }

    private static func encodeAction(_ c: ActionConstraint) -> JSONValue {
        switch c {
        case .any: .object(["op": .string("All")])
        case .equals(let e): .object(["op": .string("=="), "entity": ValueJSON.encodeUID(e)])
        case .in(let e): .object(["op": .string("in"), "entity": ValueJSON.encodeUID(e)])
        // A list of one is written as `entity`, as the reference writes `action in [A]`.
        case .inSet(let list) where list.count == 1: .object(["op": .string("in"), "entity": ValueJSON.encodeUID(list[0])])
        case .inSet(let list): .object(["op": .string("in"), "entities": .array(list.map(ValueJSON.encodeUID))])
        }
    }

    static func encode(_ e: Expr) -> JSONValue {
        func one(_ key: String, _ value: JSONValue) -> JSONValue { .object([JSONMember(key: key, value: value)]) }
        switch e {
        case .literal(let v): return one("Value", ValueJSON.encode(v))
        case .variable(let v): return one("Var", .string(v.rawValue))
        case .slot(let s): return one("Slot", .string(s.rawValue))
        case .not(let a): return one("!", .object(["arg": encode(a)]))
        case .negate(let a): return one("neg", .object(["arg": encode(a)]))
        case .isEmpty(let a): return one("isEmpty", .object(["arg": encode(a)]))
        case .and(let a, let b): return one("&&", .object(["left": encode(a), "right": encode(b)]))
        case .or(let a, let b): return one("||", .object(["left": encode(a), "right": encode(b)]))
        case .binary(let op, let a, let b): return one(op.rawValue, .object(["left": encode(a), "right": encode(b)]))
        case .ifThenElse(let c, let t, let f):
            return one("if-then-else", .object(["if": encode(c), "then": encode(t), "else": encode(f)]))
        case .getAttr(let a, let k): return one(".", .object(["left": encode(a), "attr": .string(k.value)]))
        case .hasAttr(let a, let k): return one("has", .object(["left": encode(a), "attr": .string(k.value)]))
        case .like(let a, let p):
            // One `Literal` per Unicode scalar, exactly as the reference writes patterns.
            let parts: [JSONValue] = p.elements.map { el in
                switch el {
                case .wildcard: .string("Wildcard")
                case .literal(let c): one("Literal", .string(String(Character(c))))
                }
            }
            return one("like", .object(["left": encode(a), "pattern": .array(parts)]))
        case .isType(let a, let t): return one("is", .object(["left": encode(a), "entity_type": .string(t.name)]))
        case .isIn(let a, let t, let x):
            return one("is", .object(["left": encode(a), "entity_type": .string(t.name), "in": encode(x)]))
        case .set(let items): return one("Set", .array(items.map(encode)))
        case .record(let fields): return one("Record", .object(fields.map { JSONMember(key: $0.key.value, value: encode($0.value)) }))
        case .call(let fn, let args): return one(fn.rawValue, .array(args.map(encode)))
        case .allOf, .anyOf, .steps: return encode(Compiler.expand(e))
        }
    }
}
