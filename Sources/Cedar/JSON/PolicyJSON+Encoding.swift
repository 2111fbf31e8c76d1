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

    // The cases with more than one member have functions of their own: in a debug build a
    // function reserves stack for the locals of all its cases, and `encode` recurses per level.
    static func encode(_ e: Expr) -> JSONValue {
        switch e {
        case .literal(let v): return one("Value", ValueJSON.encode(v))
        case .variable(let v): return one("Var", .string(v.rawValue))
        case .slot(let s): return one("Slot", .string(s.rawValue))
        case .not(let a): return unary("!", a)
        case .negate(let a): return unary("neg", a)
        case .isEmpty(let a): return unary("isEmpty", a)
        case .and(let a, let b): return pair("&&", "left", a, "right", b)
        case .or(let a, let b): return pair("||", "left", a, "right", b)
        case .binary(let op, let a, let b): return pair(op.rawValue, "left", a, "right", b)
        case .ifThenElse(let c, let t, let f): return ifThenElse(c, t, f)
        case .getAttr(let a, let k): return attribute(".", a, k)
        case .hasAttr(let a, let k): return attribute("has", a, k)
        case .like(let a, let p): return like(a, p)
        case .isType(let a, let t): return isType(a, t, nil)
        case .isIn(let a, let t, let x): return isType(a, t, x)
        case .set(let items): return one("Set", .array(items.map(encode)))
        case .record(let fields): return record(fields)
        case .call(let fn, let args): return one(fn.rawValue, .array(args.map(encode)))
        case .allOf(let items): return chain("&&", items)
        case .anyOf(let items): return chain("||", items)
        case .steps: return encode(Compiler.expand(e))
        }
    }

    /// A flat chain as the reference writes it, nested to the left (`{"&&": {"left": {"&&": …},
    /// "right": …}}`), built in one loop.
    private static func chain(_ key: String, _ items: [Expr]) -> JSONValue {
        var acc = items.first.map(encode) ?? one("Value", .bool(key == "&&"))
        for item in items.dropFirst() {
            let right = encode(item)
            acc = one(key, .object([JSONMember(key: "left", value: acc), JSONMember(key: "right", value: right)]))
        }
        return acc
    }

    private static func one(_ key: String, _ value: JSONValue) -> JSONValue { .object([JSONMember(key: key, value: value)]) }

    private static func unary(_ key: String, _ a: Expr) -> JSONValue {
        let arg = encode(a)
        return one(key, .object([JSONMember(key: "arg", value: arg)]))
    }

    private static func pair(_ key: String, _ first: String, _ a: Expr, _ second: String, _ b: Expr) -> JSONValue {
        let left = encode(a)
        let right = encode(b)
        return one(key, .object([JSONMember(key: first, value: left), JSONMember(key: second, value: right)]))
    }

    private static func ifThenElse(_ c: Expr, _ t: Expr, _ f: Expr) -> JSONValue {
        let condition = encode(c)
        let then = encode(t)
        let otherwise = encode(f)
        return one(
            "if-then-else",
            .object([
                JSONMember(key: "if", value: condition), JSONMember(key: "then", value: then), JSONMember(key: "else", value: otherwise),
            ])
        )
    }

    private static func attribute(_ key: String, _ a: Expr, _ k: CedarString) -> JSONValue {
        let left = encode(a)
        return one(key, .object([JSONMember(key: "left", value: left), JSONMember(key: "attr", value: .string(k.value))]))
    }

    private static func like(_ a: Expr, _ p: Pattern) -> JSONValue {
        // One `Literal` per Unicode scalar, exactly as the reference writes patterns.
        let parts: [JSONValue] = p.elements.map { el in
            switch el {
            case .wildcard: .string("Wildcard")
            case .literal(let c): one("Literal", .string(String(Character(c))))
            }
        }
        let left = encode(a)
        return one("like", .object([JSONMember(key: "left", value: left), JSONMember(key: "pattern", value: .array(parts))]))
    }

    private static func isType(_ a: Expr, _ t: EntityType, _ x: Expr?) -> JSONValue {
        var members = [JSONMember(key: "left", value: encode(a)), JSONMember(key: "entity_type", value: .string(t.name))]
        if let x { members.append(JSONMember(key: "in", value: encode(x))) }
        return one("is", .object(members))
    }

    private static func record(_ fields: [RecordField]) -> JSONValue {
        one("Record", .object(fields.map { JSONMember(key: $0.key.value, value: encode($0.value)) }))
    }
}
