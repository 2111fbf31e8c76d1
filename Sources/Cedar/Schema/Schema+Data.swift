/// Schema-based parsing and validation of entities, contexts and requests: with a schema,
/// entity references and extension values may be written implicitly
/// (`"owner": {"type": "User", "id": "alice"}`, `"source_ip": "10.0.0.1"`), and the data is
/// checked against the declared shapes.
extension Schema {
    /// Parses entity JSON against the schema and adds the schema's action entities.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/entities`` naming the
    ///   entity and attribute at fault (undeclared type or attribute, missing required
    ///   attribute, wrong type, disallowed parent, id outside an enumerated type).
    public func entityStore(json text: String) throws(CedarParseError) -> EntityStore {
        let list: [Entity]
        do throws(ValueJSON.Failure) {
            list = try entities(json: text)
        } catch {
            throw CedarParseError(.entities, error.message)
        }
        var all = list
        let present = Set(list.map(\.uid))
        for a in actionEntities where !present.contains(a.uid) { all.append(a) }
        return try EntityStore(all)
    }

    func entities(json text: String) throws(ValueJSON.Failure) -> [Entity] {
        do throws(JSONReader.Failure) {
            try JSONReader.checkDataDepth(text)
        } catch {
            throw ValueJSON.Failure(message: error.message)
        }
        let json: JSONValue
        switch JSONReader.parse(text) {
        case .success(let v): json = v
        case .failure(let f): throw ValueJSON.Failure(message: f.message)
        }
        guard let items = json.arrayValue else { throw ValueJSON.Failure(message: "entity JSON must be an array") }
        var out: [Entity] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(try entity(item)) }
        return out
    }

    private func entity(_ json: JSONValue) throws(ValueJSON.Failure) -> Entity {
        guard let uidJSON = json["uid"] else { throw ValueJSON.Failure(message: "an entity needs a `uid`") }
        let uid = try ValueJSON.decodeUID(uidJSON)
        var parents = Set<EntityUID>()
        for p in json["parents"]?.arrayValue ?? [] { parents.insert(try ValueJSON.decodeUID(p)) }
        if uid.type.isActionType, actionTypes.contains(uid.type) {
            guard let decl = actions[uid] else { throw ValueJSON.Failure(message: "entity `\(uid)`: action not declared in the schema") }
            let ancestors = actionAncestors[uid] ?? Set(decl.memberOf)
            for p in parents where !ancestors.contains(p) {
                throw ValueJSON.Failure(message: "entity `\(uid)`: `\(p)` is not a parent the schema declares")
            }
            return Entity(uid: uid, parents: parents)
        }
        guard let decl = entityTypes[uid.type] else {
            throw ValueJSON.Failure(message: "entity `\(uid)`: entity type `\(uid.type)` is not declared in the schema")
        }
        if let ids = decl.enumeratedIDs, !ids.contains(where: { CedarString($0) == uid.id }) {
            throw ValueJSON.Failure(message: "entity `\(uid)`: id is not one of the values of the enumerated type")
        }
        for p in parents where !decl.memberOfTypes.contains(p.type) {
            throw ValueJSON.Failure(message: "entity `\(uid)`: parent `\(p)` has a type the schema does not allow")
        }
        let attrsJSON = json["attrs"] ?? .object([])
        guard case .record(let attrs) = try value(attrsJSON, as: .record(decl.attributes), at: "entity `\(uid)`") else {
            throw ValueJSON.Failure(message: "entity `\(uid)`: `attrs` must be an object")
        }
        var tags: [CedarString: CedarValue] = [:]
        if let tagsJSON = json["tags"], let members = tagsJSON.objectMembers, !members.isEmpty {
            guard let tagType = decl.tags else { throw ValueJSON.Failure(message: "entity `\(uid)`: its type has no tags") }
            for m in members { tags[CedarString(m.key)] = try value(m.value, as: tagType, at: "entity `\(uid)` tag `\(m.key)`") }
        }
        return Entity(uid: uid, attributes: attrs, parents: parents, tags: tags)
    }

    /// Decodes a JSON value as `type`, accepting implicit entity references and extension values.
    func value(_ json: JSONValue, as type: SchemaType, at place: String) throws(ValueJSON.Failure) -> CedarValue {
        func mismatch() -> ValueJSON.Failure {
            ValueJSON.Failure(message: "\(place): expected a value of type \(type), got \(json.kindName)")
        }
        switch type {
        case .bool:
            guard case .bool(let b) = json else { throw mismatch() }
            return .bool(b)
        case .long:
            guard case .number = json, case .long(let v) = try ValueJSON.decode(json) else { throw mismatch() }
            return .long(v)
        case .string:
            guard case .string(let s) = json else { throw mismatch() }
            return .string(CedarString(s))
        case .entity(let t):
            let uid = try ValueJSON.decodeUID(json)
            guard uid.type == t else { throw ValueJSON.Failure(message: "\(place): expected an entity of type `\(t)`, got `\(uid)`") }
            return .entity(uid)
        case .set(let element):
            guard let items = json.arrayValue else { throw mismatch() }
            var set = Set<CedarValue>()
            for item in items { set.insert(try value(item, as: element, at: place)) }
            return .set(set)
        case .record(let r):
            guard let members = json.objectMembers else { throw mismatch() }
            var out: [CedarString: CedarValue] = [:]
            for m in members {
                guard let a = r.attributes[m.key] else {
                    throw ValueJSON.Failure(message: "\(place): attribute `\(m.key)` is not declared in the schema")
                }
                out[CedarString(m.key)] = try value(m.value, as: a.type, at: "\(place) attribute `\(m.key)`")
            }
            for (name, a) in r.attributes where a.isRequired && out[CedarString(name)] == nil {
                throw ValueJSON.Failure(message: "\(place): required attribute `\(name)` is missing")
            }
            return .record(out)
        case .extension(let name):
            let v: CedarValue
            if case .string(let s) = json {
                let fn: ExtensionFunction =
                    switch name {
                    case "ipaddr": .ip
                    case "decimal": .decimal
                    case "datetime": .datetime
                    default: .duration
                    }
                switch Evaluator.callExtension(fn, [.string(CedarString(s))]) {
                case .success(let x): v = x
                case .failure(let e): throw ValueJSON.Failure(message: "\(place): \(e.message)")
                }
            } else if json["fn"] != nil, json["__extn"] == nil {
                v = try ValueJSON.decodeExtension(json)
            } else {
                v = try ValueJSON.decode(json)
            }
            guard case .extensionValue(let x) = v, x.typeName == name else { throw mismatch() }
            return v
        }
    }

    /// Parses a request (`{principal, action, resource, context}`) whose context may use implicit
    /// forms, and validates it against the schema (`validate: false` only decodes).
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/request``.
    public func request(json text: String, validate: Bool = true) throws(CedarParseError) -> AuthorizationRequest {
        do throws(JSONReader.Failure) {
            try JSONReader.checkDataDepth(text)
        } catch {
            throw CedarParseError(.request, error.message)
        }
        switch JSONReader.parse(text) {
        case .success(let v): return try request(jsonValue: v, validate: validate)
        case .failure(let f): throw CedarParseError(.request, f.message)
        }
    }

    func request(jsonValue json: JSONValue, validate: Bool) throws(CedarParseError) -> AuthorizationRequest {
        var withoutContext = json
        if case .object(let members) = json { withoutContext = .object(members.filter { $0.key != "context" }) }
        var request = try AuthorizationRequest(jsonValue: withoutContext)
        guard let action = actions[request.action] else {
            if validate { throw CedarParseError(.request, "action `\(request.action)` is not declared in the schema") }
            request = try AuthorizationRequest(jsonValue: json)
            return request
        }
        if validate {
            guard action.principalTypes.contains(request.principal.type) else {
                throw CedarParseError(.request, "principal type `\(request.principal.type)` is not allowed for action `\(action.uid)`")
            }
            guard action.resourceTypes.contains(request.resource.type) else {
                throw CedarParseError(.request, "resource type `\(request.resource.type)` is not allowed for action `\(action.uid)`")
            }
            for uid in [request.principal, request.resource] {
                if let ids = entityTypes[uid.type]?.enumeratedIDs, !ids.contains(where: { CedarString($0) == uid.id }) {
                    throw CedarParseError(.request, "`\(uid)` is not one of the values of its enumerated type")
                }
            }
        }
        if let c = json["context"], c != .null {
            do throws(ValueJSON.Failure) {
                let v: CedarValue
                if validate {
                    v = try value(c, as: .record(action.context), at: "context")
                } else {
                    v = try lenientValue(c, as: .record(action.context))
                }
                guard case .record(let r) = v else { throw ValueJSON.Failure(message: "the context must be a record") }
                request.context = r
            } catch {
                throw CedarParseError(.request, "`context`: \(error.message)")
            }
        } else if validate, action.context.attributes.values.contains(where: \.isRequired) {
            throw CedarParseError(.request, "the context is missing required attributes of action `\(action.uid)`")
        }
        return request
    }

    /// Like ``value(_:as:at:)`` but undeclared attributes and type mismatches fall back to schema-less decoding.
    func lenientValue(_ json: JSONValue, as type: SchemaType) throws(ValueJSON.Failure) -> CedarValue {
        if let v = try? value(json, as: type, at: "") { return v }
        if case .record(let r) = type, let members = json.objectMembers, json["__entity"] == nil, json["__extn"] == nil {
            var out: [CedarString: CedarValue] = [:]
            for m in members {
                if let a = r.attributes[m.key] {
                    out[CedarString(m.key)] = try lenientValue(m.value, as: a.type)
                } else {
                    out[CedarString(m.key)] = try ValueJSON.decode(m.value)
                }
            }
            return .record(out)
        }
        return try ValueJSON.decode(json)
    }
}
