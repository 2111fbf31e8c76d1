/// Puts Cedar policies into plain language using a schema's display names (see
/// ``PolicyExplanation`` and, for the `@label`/`@doc` convention, docs/cedar.md).
///
/// ```swift
/// let explainer = PolicyExplainer(schema: schema)
/// print(PolicyExplanation.text(explainer.explain(policySet)))
/// ```
///
/// The explanation is conservative: a condition is put into words only when it has one of the
/// shapes below, and otherwise shown as Cedar code (``PolicyExplanation/Clause/code(_:)``).
/// Recognized: an attribute compared with a constant (`==`, `!=`, `<`, `<=`, `>`, `>=`, and the
/// `decimal`/`datetime` comparison methods), `has`, `like`, a Boolean attribute or its negation, and
/// an `amount`/`currency` pair of the same record (the RAR Cedar profile's amounts).
public struct PolicyExplainer: Sendable {
    let labels: SchemaLabels
    /// The language of the explanations.
    public let phrases: ExplanationPhrases

    /// An explainer reading display names from `schema` (or from identifiers alone without one).
    /// - Parameters:
    ///   - schema: the schema whose annotations name types, actions and attributes.
    ///   - phrases: the language of the explanation (English unless given).
    public init(schema: Schema? = nil, phrases: ExplanationPhrases = .english) {
        labels = SchemaLabels(schema: schema, language: phrases.primaryLanguage)
        self.phrases = phrases
    }

    /// The same explainer speaking another language.
    /// - Parameter phrases: the language.
    /// - Returns: an explainer with the same schema.
    public func speaking(_ phrases: ExplanationPhrases) -> PolicyExplainer {
        PolicyExplainer(schema: labels.schema, phrases: phrases)
    }

    /// The display name of an action in sentences: its `@label`, a short `@doc`, or its id in words
    /// ("cancel it" for `BankA::Action::"cancel"` labelled so). For saying which actions an
    /// authorization server will not grant.
    public func name(of action: EntityUID) -> String { labels.action(action) }

    /// Every policy and template of the set, static policies first, in order.
    public func explain(_ set: PolicySet) -> [PolicyExplanation] {
        (set.staticPolicies + set.linkedPolicies + set.templates).map(explain)
    }

    /// One policy or template.
    public func explain(_ policy: Policy) -> PolicyExplanation {
        var ctx = ExplanationContext(labels: labels, phrases: phrases)
        let principalType = Self.type(of: policy.principal)
        let resourceType = Self.type(of: policy.resource)
        var principal = ctx.scope(policy.principal, "principal")
        let (actionText, actions) = ctx.actions(policy.action)
        let resource = ctx.scope(policy.resource, "resource")
        var form = ExplanationPhrases.ID.sentencePermit
        if policy.effect == .forbid {
            // A forbid overrides every permit; "No one may" rather than "Anyone may not".
            form = policy.principal == .any ? .sentenceForbidAnyone : .sentenceForbid
        }
        principal = principal.prefix(1).uppercased() + principal.dropFirst()
        let sentence = phrases(form, ["principal": principal, "actions": actionText, "resource": resource])

        ctx.scope = .init(principal: principalType, resource: resourceType, actions: actions)
        // Every `when` block's conjuncts together (an amount and its currency may be in different
        // blocks, as when the AS adds a limit); each `unless` block is an exception of its own.
        let conditions = ctx.clauses(policy.conditions.filter(\.isWhen).flatMap { ExplanationContext.conjuncts($0.body) })
        let exceptions = policy.conditions.filter { !$0.isWhen }.map { ctx.clauses(ExplanationContext.conjuncts($0.body)) }
        return PolicyExplanation(
            policyID: policy.id,
            effect: policy.effect,
            sentence: sentence,
            conditions: conditions,
            exceptions: exceptions,
            actions: actions,
            constants: ctx.constants,
            phrases: phrases
        )
    }

    static func type(of scope: ScopeConstraint) -> EntityType? {
        switch scope {
        case .equals(.entity(let e)): e.type
        case .is(let t), .isIn(let t, _): t
        default: nil
        }
    }
}

/// What the conditions' attributes are read from: the types the scope fixes, and its actions.
struct ExplanationScope {
    var principal: EntityType?
    var resource: EntityType?
    var actions: [EntityUID]
}

/// The state of one explanation: the constants mentioned so far (in order, without repeats).
struct ExplanationContext {
    let labels: SchemaLabels
    let phrases: ExplanationPhrases
    var scope = ExplanationScope(actions: [])
    private(set) var constants: [PolicyExplanation.Constant] = []

    mutating func mention(_ cedar: String, shown: String) {
        let c = PolicyExplanation.Constant(cedar: cedar, shown: shown)
        if !constants.contains(c) { constants.append(c) }
    }

    // MARK: - Scope

    mutating func entity(_ uid: EntityUID) -> String {
        let shown = PolicyFormatter.quote(uid.id.value)
        mention(uid.description, shown: shown)
        return phrases(.entity, ["type": labels.entityType(uid.type), "id": shown])
    }

    mutating func reference(_ r: EntityReference, _ role: String) -> String {
        switch r {
        case .entity(let e): entity(e)
        case .slot: phrases(role == "principal" ? .slotPrincipal : .slotResource)
        }
    }

    /// The principal (`role` "principal") or the resource in words, not yet capitalized (the sentence does that).
    mutating func scope(_ c: ScopeConstraint, _ role: String) -> String {
        let isPrincipal = role == "principal"
        switch c {
        case .any: return phrases(isPrincipal ? .principalAny : .resourceAny)
        case .equals(let r): return reference(r, role)
        case .in(let r): return phrases(isPrincipal ? .principalIn : .resourceIn, ["group": reference(r, role)])
        case .is(let t): return phrases(isPrincipal ? .principalIs : .resourceIs, ["type": labels.entityType(t)])
        case .isIn(let t, let r):
            return phrases(isPrincipal ? .principalIsIn : .resourceIsIn, ["type": labels.entityType(t), "group": reference(r, role)])
        }
    }

    /// The actions in words, and the action uids the scope names. `action in A` also covers the
    /// actions in group `A`: with a schema they are listed, without one it is said.
    func actions(_ c: ActionConstraint) -> (String, [EntityUID]) {
        func list(_ names: [String]) -> String {
            guard names.count > 1 else { return names.first ?? "" }
            return phrases(.actionsOr, ["first": names.dropLast().joined(separator: ", "), "last": names[names.count - 1]])
        }
        switch c {
        case .any: return (phrases(.actionsAny), [])
        case .equals(let a): return (labels.action(a), [a])
        case .in(let a): return (inList([a], list), [a])
        case .inSet(let all): return (inList(all, list), all)
        }
    }

    private func inList(_ named: [EntityUID], _ list: ([String]) -> String) -> String {
        var covered: [EntityUID] = []
        var unknown: [EntityUID] = []
        for a in named {
            if let members = labels.actionsIn(a) {
                for m in members where !covered.contains(m) { covered.append(m) }
            } else {
                unknown.append(a)
            }
        }
        var names = covered.map(labels.action)
        names += unknown.map { phrases(.actionsGroup, ["action": labels.action($0)]) }
        return list(names)
    }
}
