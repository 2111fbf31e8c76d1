/// A set of policies, templates and template links, parsed once and shared immutably.
///
/// ```swift
/// let set = try PolicySet(parsing: "permit(principal, action, resource);", filename: "p.cedar")
/// let answer = Authorizer(policies: set).isAuthorized(request, entities: store)
/// ```
public struct PolicySet: Sendable {
    /// Static policies, in order.
    public private(set) var staticPolicies: [Policy] = []
    /// Templates, in order.
    public private(set) var templates: [Policy] = []
    /// Template links, in order.
    public private(set) var links: [TemplateLink] = []
    /// Policies produced by linking, in link order.
    public private(set) var linkedPolicies: [Policy] = []

    /// A template link: which template, the new policy id, and the slot values.
    public struct TemplateLink: Sendable, Hashable {
        /// The template's id.
        public let templateID: String
        /// The linked policy's id.
        public let newID: String
        /// The value for each slot.
        public let values: [SlotID: EntityUID]
    }

    /// An empty set.
    public init() {}

    /// Parses Cedar policy text. Policies and templates get the ids `policy0`, `policy1`, … in
    /// source order (annotations such as `@id` do not change them).
    ///
    /// - Throws: ``CedarParseError`` with every syntax error found, each with line:column.
    public init(parsing text: String, filename: String? = nil) throws(CedarParseError) {
        let policies = try Parser.parsePolicies(text, filename: filename).get()
        for p in policies {
            if p.isTemplate { templates.append(p) } else { staticPolicies.append(p) }
        }
    }

    init(staticPolicies: [Policy], templates: [Policy]) {
        self.staticPolicies = staticPolicies
        self.templates = templates
    }

    /// Every policy the authorizer evaluates: static policies, then linked policies.
    public var policies: [Policy] { staticPolicies + linkedPolicies }

    /// Whether an id is taken by a policy, template or link.
    public func containsID(_ id: String) -> Bool {
        staticPolicies.contains { $0.id == id } || templates.contains { $0.id == id } || linkedPolicies.contains { $0.id == id }
    }

    /// Links a template: fills its slots and adds the resulting policy under `newID`.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/templateLink`` when the template is
    ///   unknown, the id is taken, or the values do not bind exactly the template's slots.
    public mutating func link(template templateID: String, newID: String, values: [SlotID: EntityUID]) throws(CedarParseError) {
        guard let template = templates.first(where: { $0.id == templateID }) else {
            throw CedarParseError(.templateLink, "no template with id `\(templateID)`")
        }
        guard !containsID(newID) else { throw CedarParseError(.templateLink, "the policy id `\(newID)` is already used") }
        guard Set(values.keys) == Set(template.slots) else {
            throw CedarParseError(.templateLink, "the link must bind exactly the slots \(template.slots.map(\.rawValue))")
        }
        guard let principal = template.principal.linked(values), let resource = template.resource.linked(values) else {
            throw CedarParseError(.templateLink, "a slot was left unbound")
        }
        let policy = Policy(
            id: newID,
            effect: template.effect,
            annotations: template.annotations,
            principal: principal,
            action: template.action,
            resource: resource,
            conditions: template.conditions,
            location: template.location
        )
        linkedPolicies.append(policy)
        links.append(TemplateLink(templateID: templateID, newID: newID, values: values))
    }

    /// Adds a static policy (for example one parsed from JSON).
    mutating func add(_ policy: Policy) throws(CedarParseError) {
        guard !containsID(policy.id) else { throw CedarParseError(.policyJSON, "the policy id `\(policy.id)` is already used") }
        if policy.isTemplate { templates.append(policy) } else { staticPolicies.append(policy) }
    }
}
