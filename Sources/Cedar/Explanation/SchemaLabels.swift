/// Display names from a schema's annotations, for ``PolicyExplainer``.
///
/// The convention (docs/cedar.md, "Explaining policies"): on an entity type, an action or an
/// attribute, `@label("…")` is the short name used in sentences ("IBAN", "initiate a payment");
/// without one, a `@doc("…")` of at most 40 characters on one line is used; otherwise the
/// identifier is split into words (`creditorName` → "creditor name", `read_balances` →
/// "read balances"). `@format("iban")` on a String attribute shows its values in groups of four.
struct SchemaLabels: Sendable {
    let schema: Schema?
    /// The primary language subtag of the explanation: `@label_<language>` comes before `@label`.
    var language = "en"

    /// The display name: `@label_<language>`, `@label`, a short `@doc`, or the identifier in words.
    func label(_ annotations: [String: String], fallback: String) -> String {
        if let l = annotations["label_" + language], !l.isEmpty { return l }
        return Self.label(annotations, fallback: fallback)
    }

    static func label(_ annotations: [String: String], fallback: String) -> String {
        if let l = annotations["label"], !l.isEmpty { return l }
        if let d = annotations["doc"], !d.isEmpty, d.count <= 40, !d.contains("\n") { return d }
        return humanize(fallback)
    }

    /// `creditorName` → "creditor name", `read_balances` → "read balances", `BankA` → "bank A".
    static func humanize(_ identifier: String) -> String {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for c in identifier {
            if c == "_" || c == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if c.isUppercase && previousLower {
                words.append(current)
                current = ""
            }
            current.append(c)
            previousLower = c.isLowercase || c.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words.map { w in
            // "Name" → "name"; keep acronyms and single capitals ("IBAN", "A").
            w.count > 1 && w.dropFirst().allSatisfy(\.isLowercase) ? w.lowercased() : w
        }.joined(separator: " ")
    }

    func entityType(_ type: EntityType) -> String {
        let local = type.name.split(separator: "::").last.map(String.init) ?? type.name
        return label(schema?.entityTypes[type]?.annotations ?? [:], fallback: local)
    }

    func action(_ uid: EntityUID) -> String {
        label(schema?.actions[uid]?.annotations ?? [:], fallback: uid.id.value)
    }

    /// Every declared action that is `uid` or (transitively) in it, sorted; `nil` without a schema
    /// or when `uid` is not declared.
    func actionsIn(_ uid: EntityUID) -> [EntityUID]? {
        guard let schema, schema.actions[uid] != nil else { return nil }
        return schema.actions.keys.filter { $0 == uid || schema.actionAncestors[$0]?.contains(uid) == true }
            .sorted { $0.description < $1.description }
    }

    /// The record type a variable's attributes are read from: an entity type's shape, or the
    /// context of the first of `actions` that declares one.
    func root(_ variable: Variable, principal: EntityType?, resource: EntityType?, actions: [EntityUID]) -> SchemaType? {
        guard let schema else { return nil }
        switch variable {
        case .principal: return principal.flatMap { schema.entityTypes[$0] }.map { .record($0.attributes) }
        case .resource: return resource.flatMap { schema.entityTypes[$0] }.map { .record($0.attributes) }
        case .context:
            let candidates = (actions.isEmpty ? Array(schema.actions.keys) : actions).sorted { $0.description < $1.description }
            return candidates.compactMap { schema.actions[$0]?.context }.first.map { .record($0) }
        case .action: return nil
        }
    }

    /// The annotations and type of attribute `name` of a value of type `type`.
    func attribute(_ name: String, of type: SchemaType?) -> (annotations: [String: String], type: SchemaType?) {
        switch type {
        case .record(let r): return (r.annotations[name] ?? [:], r.attributes[name]?.type)
        case .entity(let t):
            guard let decl = schema?.entityTypes[t] else { return ([:], nil) }
            return (decl.attributes.annotations[name] ?? [:], decl.attributes.attributes[name]?.type)
        default: return ([:], nil)
        }
    }
}
