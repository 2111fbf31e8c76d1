/// Cedar's JSON policy format (EST, digest §12), both ways.
enum PolicyJSON {
    struct Failure: Error {
        var message: String
    }

    static let maxHasPath = 64

    /// The reference rejects unknown members in `is` scope constraints, conditions and operator bodies.
    private static func onlyKeys(_ json: JSONValue, _ allowed: Set<String>, _ what: String) throws(Failure) {
        guard case .object(let members) = json else { throw Failure(message: "\(what) must be an object") }
        for m in members where !allowed.contains(m.key) {
            throw Failure(message: "unexpected field `\(m.key)` in \(what)")
        }
    }

    // MARK: - Decoding

    static func decodePolicy(_ json: JSONValue, id: String) throws(Failure) -> Policy {
        guard case .object(let members) = json else { throw Failure(message: "a policy must be a JSON object") }
        var effect: Policy.Effect?
        var principal: ScopeConstraint?
        var action: ActionConstraint?
        var resource: ScopeConstraint?
        var conditions: [Condition] = []
        var annotations: [Policy.Annotation] = []
        var sawConditions = false
        for m in members {
            switch m.key {
            case "effect":
                guard let s = m.value.stringValue, let e = Policy.Effect(rawValue: s) else { throw Failure(message: "invalid `effect`") }
                effect = e
            case "principal": principal = try decodeScope(m.value, slot: .principal)
            case "resource": resource = try decodeScope(m.value, slot: .resource)
            case "action": action = try decodeAction(m.value)
            case "conditions":
                sawConditions = true
                guard let list = m.value.arrayValue else { throw Failure(message: "`conditions` must be an array") }
                for c in list {
                    try onlyKeys(c, ["kind", "body"], "a condition")
                    guard let kind = c["kind"]?.stringValue, kind == "when" || kind == "unless", let body = c["body"] else {
                        throw Failure(message: "a condition needs `kind` (when/unless) and `body`")
                    }
                    conditions.append(Condition(isWhen: kind == "when", body: try decodeExpr(body, depth: 0)))
                }
            case "annotations":
                guard case .object(let list) = m.value else { throw Failure(message: "`annotations` must be an object") }
                for a in list {
                    guard Lexer.isIdentifier(a.key) else { throw Failure(message: "`\(a.key)` is not a valid annotation name") }
                    switch a.value {
                    case .string(let s): annotations.append(Policy.Annotation(key: a.key, value: s))
                    case .null: annotations.append(Policy.Annotation(key: a.key, value: "", hasValue: false))
                    default: throw Failure(message: "annotation values must be strings or null")
                    }
                }
            default: throw Failure(message: "unexpected field `\(m.key)` in policy")
            }
        }
        guard let effect, let principal, let action, let resource, sawConditions else {
            throw Failure(message: "a policy needs `effect`, `principal`, `action`, `resource` and `conditions`")
        }
        let policy = Policy(
            id: id,
            effect: effect,
            annotations: annotations,
            principal: principal,
            action: action,
            resource: resource,
            conditions: conditions,
            location: nil
        )
        // `decodeExpr` stops at the limit as it goes; a desugared `has` path can still add levels.
        if let message = policy.depthProblem { throw Failure(message: "policy `\(id)`: \(message)") }
        return policy
    }

    private static func uid(_ json: JSONValue) throws(Failure) -> EntityUID {
        do throws(ValueJSON.Failure) {
            return try ValueJSON.decodeUID(json)
        } catch {
            throw Failure(message: error.message)
        }
    }

    private static func decodeRef(_ json: JSONValue, slot: SlotID) throws(Failure) -> EntityReference {
        if let e = json["entity"] { return .entity(try uid(e)) }
        if let s = json["slot"]?.stringValue {
            guard s == slot.rawValue else { throw Failure(message: "invalid slot `\(s)`") }
            return .slot(slot)
        }
        throw Failure(message: "expected `entity` or `slot`")
    }

    private static func decodeScope(_ json: JSONValue, slot: SlotID) throws(Failure) -> ScopeConstraint {
        guard let op = json["op"]?.stringValue else { throw Failure(message: "a scope constraint needs `op`") }
        switch op {
        // Like the reference: unknown members are ignored except in the `is` form.
        case "All": return .any
        case "==": return .equals(try decodeRef(json, slot: slot))
        case "in": return .in(try decodeRef(json, slot: slot))
        case "is":
            try onlyKeys(json, ["op", "entity_type", "in"], "a scope constraint")
            guard let t = json["entity_type"]?.stringValue, let type = EntityType(validating: t) else {
                throw Failure(message: "`is` needs a valid `entity_type`")
            }
            if let inner = json["in"], inner != .null { return .isIn(type, try decodeRef(inner, slot: slot)) }
            return .is(type)
        default: throw Failure(message: "invalid scope operator `\(op)`")
        }
    }

    private static func decodeAction(_ json: JSONValue) throws(Failure) -> ActionConstraint {
        guard let op = json["op"]?.stringValue else { throw Failure(message: "a scope constraint needs `op`") }
        func action(_ j: JSONValue) throws(Failure) -> EntityUID {
            let u = try uid(j)
            guard u.type.isActionType else { throw Failure(message: "expected an entity uid with type `Action` but got `\(u)`") }
            return u
        }
        switch op {
        case "All": return .any
        case "==":
            guard let e = json["entity"] else { throw Failure(message: "`==` needs `entity`") }
            return .equals(try action(e))
        case "in":
            if let e = json["entity"] { return .in(try action(e)) }
            guard let list = json["entities"]?.arrayValue else { throw Failure(message: "`in` needs `entity` or `entities`") }
            var out: [EntityUID] = []
            for e in list { out.append(try action(e)) }
            return .inSet(out)
        default: throw Failure(message: "invalid action scope operator `\(op)`")
        }
    }

    /// A JSON value as an expression: escapes become entity literals and constructor calls.
    private static func valueExpr(_ json: JSONValue) throws(Failure) -> Expr {
        switch json {
        case .array(let items):
            var out: [Expr] = []
            for i in items { out.append(try valueExpr(i)) }
            return .set(out)
        case .object(let members):
            if members.count == 1, members[0].key == "__entity" { return .literal(.entity(try uid(members[0].value))) }
            if members.count == 1, members[0].key == "__extn" {
                let inner = members[0].value
                guard let fnName = inner["fn"]?.stringValue, let fn = ExtensionFunction(rawValue: fnName) else {
                    throw Failure(message: "invalid `__extn`")
                }
                var args: [Expr] = []
                if let a = inner["arg"] {
                    args = [try valueExpr(a)]
                } else if let list = inner["args"]?.arrayValue {
                    for a in list { args.append(try valueExpr(a)) }
                }
                return .call(fn, args)
            }
            var fields: [RecordField] = []
            for m in members { fields.append(RecordField(key: CedarString(m.key), value: try valueExpr(m.value))) }
            return .record(fields)
        default:
            do throws(ValueJSON.Failure) {
                return .literal(try ValueJSON.decode(json))
            } catch {
                throw Failure(message: error.message)
            }
        }
    }

    /// Decodes an expression `depth` levels below the condition's root (which is at 0). Refuses
    /// an expression deeper than ``Policy/maximumExpressionDepth`` as it goes.
    ///
    /// This recurses once per level, through ``decodeOperator(_:_:depth:)`` and ``sub(_:_:_:depth:)``;
    /// every other case has a function of its own, as in a debug build a function reserves stack
    /// for the locals of all its cases.
    static func decodeExpr(_ json: JSONValue, depth: Int) throws(Failure) -> Expr {
        guard depth < Policy.maximumExpressionDepth else { throw Failure(message: Policy.depthMessage(nil)) }
        guard case .object(let members) = json, members.count == 1 else {
            throw Failure(message: "an expression must be an object with exactly one key")
        }
        try checkMembers(members[0].key, members[0].value)
        return try decodeOperator(members[0].key, members[0].value, depth: depth)
    }

    private static func checkMembers(_ key: String, _ body: JSONValue) throws(Failure) {
        switch key {
        case "!", "neg", "isEmpty": try onlyKeys(body, ["arg"], "`\(key)`")
        case "if-then-else": try onlyKeys(body, ["if", "then", "else"], "`if-then-else`")
        case ".": try onlyKeys(body, ["left", "attr"], "`.`")
        case "like": try onlyKeys(body, ["left", "pattern"], "`like`")
        case "is": try onlyKeys(body, ["left", "entity_type", "in"], "`is`")
        case "&&", "||": try onlyKeys(body, ["left", "right"], "`\(key)`")
        default:
            if BinaryOp(rawValue: key) != nil { try onlyKeys(body, ["left", "right"], "`\(key)`") }
        }
    }

    /// The operand `k` of operator `key`.
    private static func sub(_ body: JSONValue, _ key: String, _ k: String, depth: Int) throws(Failure) -> Expr {
        guard let v = body[k] else { throw Failure(message: "`\(key)` needs `\(k)`") }
        return try decodeExpr(v, depth: depth + 1)
    }

    private static func string(_ body: JSONValue, _ key: String, _ k: String) throws(Failure) -> String {
        guard let v = body[k]?.stringValue else { throw Failure(message: "`\(key)` needs a string `\(k)`") }
        return v
    }

    private static func decodeOperator(_ key: String, _ body: JSONValue, depth: Int) throws(Failure) -> Expr {
        switch key {
        case "Value": return try valueExpr(body)
        case "Var", "Slot", "Unknown": return try variable(key, body)
        case "!": return .not(try sub(body, key, "arg", depth: depth))
        case "neg": return .negate(try sub(body, key, "arg", depth: depth))
        case "isEmpty": return .isEmpty(try sub(body, key, "arg", depth: depth))
        case "&&", "||":
            let left = try sub(body, key, "left", depth: depth)
            let right = try sub(body, key, "right", depth: depth)
            return key == "&&" ? .conjunction([left, right]) : .disjunction([left, right])
        case "if-then-else": return try ifThenElse(body, key, depth: depth)
        case ".":
            let left = try sub(body, key, "left", depth: depth)
            return .getAttr(left, CedarString(try string(body, key, "attr")))
        case "has": return try has(body, key, depth: depth)
        case "like": return try like(body, key, depth: depth)
        case "is": return try isType(body, key, depth: depth)
        case "Set", "Record": return try collection(key, body, depth: depth)
        default:
            if let op = BinaryOp(rawValue: key) {
                let left = try sub(body, key, "left", depth: depth)
                return .binary(op, left, try sub(body, key, "right", depth: depth))
            }
            return try call(key, body, depth: depth)
        }
    }

    private static func variable(_ key: String, _ body: JSONValue) throws(Failure) -> Expr {
        switch key {
        case "Var":
            guard let s = body.stringValue, let v = Variable(rawValue: s) else { throw Failure(message: "invalid `Var`") }
            return .variable(v)
        case "Slot":
            guard let s = body.stringValue, let v = SlotID(rawValue: s) else { throw Failure(message: "invalid `Slot`") }
            return .slot(v)
        default: throw Failure(message: "`Unknown` (partial evaluation) is not supported")
        }
    }

    private static func ifThenElse(_ body: JSONValue, _ key: String, depth: Int) throws(Failure) -> Expr {
        let c = try sub(body, key, "if", depth: depth)
        let t = try sub(body, key, "then", depth: depth)
        return .ifThenElse(c, t, try sub(body, key, "else", depth: depth))
    }

    private static func has(_ body: JSONValue, _ key: String, depth: Int) throws(Failure) -> Expr {
        let left = try sub(body, key, "left", depth: depth)
        if let list = body["attr"]?.arrayValue {
            guard !list.isEmpty, list.count <= maxHasPath else { throw Failure(message: "invalid `has` attribute list") }
            var names: [CedarString] = []
            for n in list {
                guard let s = n.stringValue else { throw Failure(message: "`has` attributes must be strings") }
                names.append(CedarString(s))
            }
            var result = Expr.hasAttr(left, names[0])
            var base = left
            for i in 1..<names.count {
                base = .getAttr(base, names[i - 1])
                result = .conjunction([result, .hasAttr(base, names[i])])
            }
            return result
        }
        return .hasAttr(left, CedarString(try string(body, key, "attr")))
    }

    private static func like(_ body: JSONValue, _ key: String, depth: Int) throws(Failure) -> Expr {
        guard let parts = body["pattern"]?.arrayValue else { throw Failure(message: "`like` needs `pattern`") }
        var elements: [PatternElement] = []
        for p in parts {
            if p.stringValue == "Wildcard" {
                elements.append(.wildcard)
            } else if let lit = p["Literal"]?.stringValue {
                elements += lit.unicodeScalars.map { .literal($0) }
            } else {
                throw Failure(message: "invalid `like` pattern element")
            }
        }
        return .like(try sub(body, key, "left", depth: depth), Pattern(elements: elements))
    }

    private static func isType(_ body: JSONValue, _ key: String, depth: Int) throws(Failure) -> Expr {
        guard let type = EntityType(validating: try string(body, key, "entity_type")) else {
            throw Failure(message: "invalid `entity_type`")
        }
        let left = try sub(body, key, "left", depth: depth)
        if body["in"] != nil { return .isIn(left, type, try sub(body, key, "in", depth: depth)) }
        return .isType(left, type)
    }

    private static func collection(_ key: String, _ body: JSONValue, depth: Int) throws(Failure) -> Expr {
        if key == "Set" {
            guard let items = body.arrayValue else { throw Failure(message: "`Set` needs an array") }
            var out: [Expr] = []
            for i in items { out.append(try decodeExpr(i, depth: depth + 1)) }
            return .set(out)
        }
        guard case .object(let fields) = body else { throw Failure(message: "`Record` needs an object") }
        var out: [RecordField] = []
        for f in fields { out.append(RecordField(key: CedarString(f.key), value: try decodeExpr(f.value, depth: depth + 1))) }
        return .record(out)
    }

    private static func call(_ key: String, _ body: JSONValue, depth: Int) throws(Failure) -> Expr {
        guard let fn = ExtensionFunction(rawValue: key), let list = body.arrayValue else {
            throw Failure(message: "`\(key)` is not a valid expression")
        }
        var args: [Expr] = []
        for a in list { args.append(try decodeExpr(a, depth: depth + 1)) }
        return .call(fn, args)
    }
}
