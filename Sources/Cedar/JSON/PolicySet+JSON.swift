extension PolicySet {
    /// Parses the JSON policy format: a policy-set object (`staticPolicies`, `templates`,
    /// `templateLinks`) or a single policy object (which gets the id `policy0`).
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/policyJSON``.
    public init(json text: String) throws(CedarParseError) {
        let parsed: JSONValue
        switch JSONReader.parse(text) {
        case .success(let v): parsed = v
        case .failure(let f): throw CedarParseError(.policyJSON, f.message)
        }
        self.init()
        func json<T>(_ body: () throws(PolicyJSON.Failure) -> T) throws(CedarParseError) -> T {
            do throws(PolicyJSON.Failure) {
                return try body()
            } catch {
                throw CedarParseError(.policyJSON, error.message)
            }
        }
        let policyKeys = ["effect", "principal", "action", "resource", "conditions", "annotations"]
        if parsed.objectMembers?.contains(where: { policyKeys.contains($0.key) }) == true {
            try add(json { () throws(PolicyJSON.Failure) in try PolicyJSON.decodePolicy(parsed, id: "policy0") })
            return
        }
        // Like the reference, the set form needs exactly these three members.
        let setKeys = ["staticPolicies", "templates", "templateLinks"]
        guard let members = parsed.objectMembers, members.count == 3, members.allSatisfy({ setKeys.contains($0.key) }),
            parsed["staticPolicies"]?.objectMembers != nil, parsed["templates"]?.objectMembers != nil,
            parsed["templateLinks"]?.arrayValue != nil
        else {
            throw CedarParseError(.policyJSON, "a JSON policy set needs exactly `staticPolicies`, `templates` and `templateLinks`")
        }
        for m in parsed["staticPolicies"]?.objectMembers ?? [] {
            try add(json { () throws(PolicyJSON.Failure) in try PolicyJSON.decodePolicy(m.value, id: m.key) })
        }
        for m in parsed["templates"]?.objectMembers ?? [] {
            try add(json { () throws(PolicyJSON.Failure) in try PolicyJSON.decodePolicy(m.value, id: m.key) })
        }
        for l in parsed["templateLinks"]?.arrayValue ?? [] {
            guard let t = l["templateId"]?.stringValue, let n = l["newId"]?.stringValue, let vals = l["values"]?.objectMembers else {
                throw CedarParseError(.policyJSON, "a template link needs `templateId`, `newId` and `values`")
            }
            var values: [SlotID: EntityUID] = [:]
            for v in vals {
                guard let slot = SlotID(rawValue: v.key) else { throw CedarParseError(.policyJSON, "invalid slot `\(v.key)`") }
                do throws(ValueJSON.Failure) {
                    values[slot] = try ValueJSON.decodeUID(v.value)
                } catch {
                    throw CedarParseError(.policyJSON, error.message)
                }
            }
            try link(template: t, newID: n, values: values)
        }
    }

    /// The set in the JSON policy format (`staticPolicies`, `templates`, `templateLinks`).
    public func jsonString(pretty: Bool = true) -> String {
        let links: [JSONValue] = links.map { l in
            .object([
                "templateId": .string(l.templateID), "newId": .string(l.newID),
                "values": .object(
                    l.values.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                        JSONMember(key: $0.key.rawValue, value: ValueJSON.encodeUID($0.value))
                    }
                ),
            ])
        }
        let doc = JSONValue.object([
            "staticPolicies": .object(staticPolicies.map { JSONMember(key: $0.id, value: PolicyJSON.encode($0)) }),
            "templates": .object(templates.map { JSONMember(key: $0.id, value: PolicyJSON.encode($0)) }),
            "templateLinks": .array(links),
        ])
        let text = JSONWriter.write(doc, pretty: pretty)
        JSONValue.dismantle(consume doc)
        return text
    }
}
