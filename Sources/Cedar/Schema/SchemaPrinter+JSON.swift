extension SchemaPrinter {
    /// The schema in the JSON schema format: one member per namespace, names relative to it,
    /// entity references fully qualified, attributes sorted. Parses back to the same schema.
    public static func json(_ schema: Schema) -> String {
        func type(_ t: SchemaType) -> JSONValue {
            switch t {
            case .bool: return .object(["type": .string("Boolean")])
            case .long: return .object(["type": .string("Long")])
            case .string: return .object(["type": .string("String")])
            case .entity(let e): return .object(["type": .string("Entity"), "name": .string(e.name)])
            case .set(let e): return .object(["type": .string("Set"), "element": type(e)])
            case .record(let r): return record(r)
            case .extension(let n): return .object(["type": .string("Extension"), "name": .string(n)])
            }
        }
        func record(_ r: RecordType) -> JSONValue {
            var attrs: [JSONMember] = []
            for (name, a) in r.attributes.sorted(by: { $0.key < $1.key }) {
                guard case .object(var members) = type(a.type) else { continue }
                if !a.isRequired { members.append(JSONMember(key: "required", value: .bool(false))) }
                attrs.append(JSONMember(key: name, value: .object(members)))
            }
            return .object(["type": .string("Record"), "attributes": .object(attrs)])
        }
        var entityTypes: [String: [JSONMember]] = [:]
        var actions: [String: [JSONMember]] = [:]
        for decl in schema.entityTypes.values.sorted(by: { $0.name.name < $1.name.name }) {
            let (ns, local) = split(decl.name.name)
            var members: [JSONMember] = []
            if let ids = decl.enumeratedIDs {
                members.append(JSONMember(key: "enum", value: .array(ids.map { .string($0) })))
            } else {
                members.append(JSONMember(key: "memberOfTypes", value: .array(decl.memberOfTypes.map { .string($0.name) })))
                members.append(JSONMember(key: "shape", value: record(decl.attributes)))
                if let tags = decl.tags { members.append(JSONMember(key: "tags", value: type(tags))) }
            }
            entityTypes[ns, default: []].append(JSONMember(key: local, value: .object(members)))
        }
        for decl in schema.actions.values.sorted(by: { $0.uid.description < $1.uid.description }) {
            let (ns, _) = split(decl.uid.type.name)
            let memberOf: [JSONValue] = decl.memberOf.map {
                .object(["id": .string($0.id.value), "type": .string($0.type.name)])
            }
            let applies: JSONValue = .object([
                "principalTypes": .array(decl.principalTypes.map { .string($0.name) }),
                "resourceTypes": .array(decl.resourceTypes.map { .string($0.name) }),
                "context": record(decl.context),
            ])
            let value: JSONValue = .object(["memberOf": .array(memberOf), "appliesTo": applies])
            actions[ns, default: []].append(JSONMember(key: decl.uid.id.value, value: value))
        }
        var namespaces: [JSONMember] = []
        for ns in Set(entityTypes.keys).union(actions.keys).sorted() {
            namespaces.append(
                JSONMember(
                    key: ns,
                    value: .object([
                        "entityTypes": .object(entityTypes[ns] ?? []),
                        "actions": .object(actions[ns] ?? []),
                    ])
                )
            )
        }
        return JSONWriter.write(.object(namespaces), pretty: true)
    }
}
