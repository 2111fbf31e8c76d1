/// Cedar's JSON value format (digest §11.2): literals, sets, records and the `__entity` /
/// `__extn` escapes. Schema-less: escapes are required.
enum ValueJSON {
    struct Failure: Error {
        var message: String
    }

    static func decode(_ json: JSONValue) throws(Failure) -> CedarValue {
        switch json {
        case .null: throw Failure(message: "JSON `null`s are not allowed in Cedar")
        case .bool(let b): return .bool(b)
        case .number(let text):
            // serde reads `-0` as a float, so the reference rejects it like any non-integer.
            guard text != "-0", let v = Int64(text) else {
                throw Failure(message: "`\(text)` is not a valid Cedar integer (Long)")
            }
            return .long(v)
        case .string(let s): return .string(CedarString(s))
        case .array(let items):
            var set = Set<CedarValue>(minimumCapacity: items.count)
            for item in items { set.insert(try decode(item)) }
            return .set(set)
        case .object(let members):
            // Escapes are tried in order, as the reference's untagged enum does: an escape whose
            // content has the wrong shape is an ordinary record.
            if members.count == 1 {
                let m = members[0]
                switch m.key {
                case "__entity" where isUIDShaped(m.value):
                    return .entity(try decodeUID(m.value))
                case "__extn" where m.value["fn"]?.stringValue != nil && (m.value["arg"] != nil || m.value["args"]?.arrayValue != nil):
                    return try decodeExtension(m.value)
                case "__expr" where m.value.stringValue != nil:
                    throw Failure(message: "the `__expr` escape is no longer supported")
                default: break
                }
            }
            var record: [CedarString: CedarValue] = [:]
            record.reserveCapacity(members.count)
            for m in members { record[CedarString(m.key)] = try decode(m.value) }
            return .record(record)
        }
    }

    /// `{"type": T, "id": I}` or `{"__entity": {...}}`.
    static func decodeUID(_ json: JSONValue) throws(Failure) -> EntityUID {
        // serde also reads a struct from a sequence, so the reference accepts `["User", "alice"]`.
        if case .array(let items) = json, items.count == 2, let t = items[0].stringValue, let id = items[1].stringValue {
            guard let type = EntityType(validating: t) else {
                throw Failure(message: "`\(t)` is not a valid (normalized) entity type name")
            }
            return EntityUID(type: type, id: CedarString(id))
        }
        guard case .object(var members) = json else {
            throw Failure(message: "expected an entity reference object, got \(json.kindName)")
        }
        if members.count == 1, members[0].key == "__entity", case .object(let inner) = members[0].value {
            members = inner
        }
        var type: String?
        var id: String?
        for m in members {
            switch m.key {
            case "type": type = m.value.stringValue
            case "id": id = m.value.stringValue
            default: continue  // the reference ignores unknown fields
            }
        }
        guard let type, let id else { throw Failure(message: "an entity reference needs string fields `type` and `id`") }
        guard let t = EntityType(validating: type) else {
            throw Failure(message: "`\(type)` is not a valid (normalized) entity type name")
        }
        return EntityUID(type: t, id: CedarString(id))
    }

    private static func isUIDShaped(_ json: JSONValue) -> Bool {
        if case .array(let items) = json { return items.count == 2 && items.allSatisfy { $0.stringValue != nil } }
        return json["type"]?.stringValue != nil && json["id"]?.stringValue != nil
    }

    static func decodeExtension(_ json: JSONValue) throws(Failure) -> CedarValue {
        guard let fnName = json["fn"]?.stringValue else { throw Failure(message: "`__extn` needs a string field `fn`") }
        var args: [CedarValue] = []
        if let arg = json["arg"] {
            args = [try decode(arg)]
        } else if let list = json["args"]?.arrayValue {
            for a in list { args.append(try decode(a)) }
        } else {
            throw Failure(message: "`__extn` needs `arg` or `args`")
        }
        guard let fn = ExtensionFunction(rawValue: fnName) else {
            throw Failure(message: "`\(fnName)` is not a known extension function")
        }
        switch Evaluator.callExtension(fn, args) {
        case .success(let v): return v
        case .failure(let e): throw Failure(message: e.message)
        }
    }

    static func encodeUID(_ uid: EntityUID) -> JSONValue {
        .object(["type": .string(uid.type.name), "id": .string(uid.id.value)])
    }

    static func encode(_ value: CedarValue) -> JSONValue {
        switch value {
        case .bool(let b): return .bool(b)
        case .long(let v): return .number(String(v))
        case .string(let s): return .string(s.value)
        case .entity(let uid): return .object(["__entity": encodeUID(uid)])
        case .set(let s): return .array(s.map(encode).sorted { JSONWriter.write($0) < JSONWriter.write($1) })
        case .record(let r):
            return .object(r.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key.value, value: encode($0.value)) })
        case .extensionValue(let e):
            if case .datetime(let ms) = e, !DatetimeExtension.isFormattable(ms) {
                let args: [JSONValue] = [
                    .object(["__extn": .object(["fn": .string("datetime"), "arg": .string("1970-01-01")])]),
                    .object(["__extn": .object(["fn": .string("duration"), "arg": .string("\(ms)ms")])]),
                ]
                return .object(["__extn": .object(["fn": .string("offset"), "args": .array(args)])])
            }
            let (fn, arg) = e.constructorAndArgument
            return .object(["__extn": .object(["fn": .string(fn), "arg": .string(arg)])])
        }
    }
}
