import Cedar
import TesseraProtocol

/// The one decision point both doors ask (ARCHITECTURE "Policy"; docs/policy.md): the shipped
/// default policies and the owner's set, compiled and indexed once when the engine is built, and
/// asked one Cedar question per requested right.
///
/// The two sets are evaluated side by side and combined as one Cedar set would be: a matching
/// `forbid` in either refuses, otherwise a matching `permit` in either allows, otherwise the
/// right is not permitted. Any evaluation error refuses the right (fail closed: Cedar itself skips
/// an erroring policy, which for a `forbid` would let the request through).
///
/// ```swift
/// let point = DecisionPoint(owner: try OwnerPolicy(text: text, source: "policy.cedar"), issuer: issuer)
/// let decision = point.decide(AccessQuestion(party: party, operation: .token, rights: ["read"], door: .oauth, grantType: "client_credentials"))
/// decision.isPermitted
/// ```
public struct DecisionPoint: Sendable {
    /// One compiled policy set and how to name its policies.
    struct Layer: Sendable {
        let source: String
        let authorizer: Authorizer
        let references: [String: PolicyReference]
        let policies: [String: Policy]

        init(_ set: PolicySet, source: String) {
            self.source = source
            authorizer = Authorizer(policies: set)
            policies = Dictionary(set.policies.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            references = Dictionary(
                set.policies.map { policy in
                    (
                        policy.id,
                        PolicyReference(
                            source: source,
                            id: policy.id,
                            name: policy.annotation("id"),
                            location: policy.location?.description
                        )
                    )
                },
                uniquingKeysWith: { first, _ in first }
            )
        }

        func reference(_ id: String) -> PolicyReference {
            references[id] ?? PolicyReference(source: "?", id: id, name: nil, location: nil)
        }
    }

    static let defaultsSource = "tessera-defaults.cedar"
    let layers: [Layer]
    /// Today's configuration keys as policies (``ConfiguredPolicies``), shown by `tessera policy show`.
    let configuredText: String
    /// Policy files translated from their old vocabularies, shown by `tessera policy show`.
    let translated: [TranslatedPolicies]
    /// The owner's set, if one is configured.
    public let owner: OwnerPolicy?
    /// This server's issuer identifier.
    let issuer: String
    /// This server's trust domain, every local client's parent (`principal in TrustDomain::"<issuer>"`).
    let trustDomain: EntityUID
    /// Every person the effective policies name (`User::"<name>"` in a scope or condition), sorted: with
    /// `gnap.interaction.resource_owners`, whom a grant may be routed to (docs/policy.md, "Routing").
    public let namedPeople: [String]
    /// The same people, by the rights the policies naming them can decide: whom routing asks about each right.
    let approvers: NamedApprovers

    /// The answers this policy set gave (issue 22): new with every decision point, so never another set's.
    let memo = DecisionMemo()

    /// Compiles the effective policy set once.
    /// - Parameters:
    ///   - owner: the owner's validated set, or `nil` for the shipped defaults alone.
    ///   - issuer: this server's issuer identifier, the id of its `TrustDomain`.
    ///   - configured: configuration keys as policies (``ConfiguredPolicies/text(trust:resourceOwners:)``);
    ///     replaced with the shipped defaults. Text that does not parse forbids everything (fails closed).
    ///   - translated: policy files translated from their old vocabularies (``PolicyTranslation``), each
    ///     its own layer named by its file; kept when the defaults are replaced, as the files were.
    public init(owner: OwnerPolicy? = nil, issuer: String = "", configured: String = "", translated: [TranslatedPolicies] = []) {
        var layers: [Layer] = []
        let includesDefaults = owner?.includesDefaults ?? true
        if includesDefaults {
            layers.append(Layer(PolicyVocabulary.defaultPolicies, source: Self.defaultsSource))
        }
        configuredText = includesDefaults ? configured : ""
        if !configuredText.isEmpty {
            layers.append(
                Layer(Self.parsedOrForbidAll(configuredText, source: ConfiguredPolicies.source), source: ConfiguredPolicies.source)
            )
        }
        for file in translated { layers.append(Layer(Self.parsedOrForbidAll(file.text, source: file.source), source: file.source)) }
        if let owner { layers.append(Layer(owner.policies, source: owner.source)) }
        self.layers = layers
        self.translated = translated
        self.owner = owner
        self.issuer = issuer
        self.trustDomain = EntityUID("TrustDomain", issuer)
        let people = layers.flatMap(\.policies.values).flatMap(\.entityLiterals).filter { $0.type.name == "User" && !$0.id.value.isEmpty }
        namedPeople = Set(people.map(\.id)).map(\.value).sorted()
        approvers = NamedApprovers(layers.flatMap(\.policies.values))
    }

    /// A copy with one more translated policy file (`client_challenges.policy`, enabled after the engine is built).
    /// - Parameter file: the translated file.
    /// - Returns: the decision point with the file's layer before the owner's.
    public func adding(_ file: TranslatedPolicies) -> DecisionPoint {
        DecisionPoint(owner: owner, issuer: issuer, configured: configuredText, translated: translated + [file])
    }

    /// Parsed text, or a set that forbids everything when it does not parse (fails closed).
    static func parsedOrForbidAll(_ text: String, source: String) -> PolicySet {
        (try? PolicySet(parsing: text, filename: source))
            ?? (try? PolicySet(parsing: "@id(\"\(source) is unreadable\") forbid (principal, action, resource);")) ?? PolicySet()
    }

    /// Decides every right of a question: the answer given before to the same question when ``DecisionMemo`` kept it
    /// (the same answer: it depends on the question and the policies alone), otherwise evaluated.
    /// - Parameter question: the door-neutral question.
    /// - Returns: one ruling per distinct right, in the order asked.
    public func decide(_ question: AccessQuestion) -> AccessDecision {
        guard DecisionMemo.keeps(question) else { return evaluate(question) }
        if let known = memo.answer(question) { return known }
        let decision = evaluate(question)
        memo.keep(decision, for: question)
        return decision
    }

    /// Evaluates every right of a question against each layer.
    /// - Parameter question: the door-neutral question.
    /// - Returns: one ruling per distinct right, in the order asked.
    private func evaluate(_ question: AccessQuestion) -> AccessDecision {
        let client = EntityUID("Client", question.party.id)
        var rights: [String] = []
        var seen = Set<String>()
        for right in question.rights where seen.insert(right).inserted { rights.append(right) }
        let store: EntityStore
        do { store = try EntityStore(entities(question.party, client: client, user: question.user)) } catch {
            // Only conflicting duplicates or cycles can fail, and these entities have neither;
            // should it happen, nothing is permitted.
            return AccessDecision(
                rulings: rights.map { .init(right: $0, verdict: .failed, policies: [], errors: ["the request's entities: \(error)"]) }
            )
        }
        let context = context(question, rights: rights)
        let action = EntityUID("Action", question.operation.name)
        var rulings = rights.map { right in
            ruling(
                right,
                AuthorizationRequest(principal: client, action: action, resource: EntityUID("Scope", right), context: context),
                store
            )
        }
        // Without an owner's set only an ID-JAG's audiences can be refused (the shipped `any-audience`
        // permits every other), so the hot path stays one question per right.
        guard owner != nil || question.requestedTokenType == PolicyVocabulary.idJAGType else { return AccessDecision(rulings: rulings) }
        var audiences = Set<String>()
        for audience in question.audiences where audiences.insert(audience).inserted {
            var answer = ruling(
                audience,
                AuthorizationRequest(principal: client, action: action, resource: EntityUID("Resource", audience), context: context),
                store
            )
            answer.kind = .audience
            rulings.append(answer)
        }
        return AccessDecision(rulings: rulings)
    }

    /// Decides whether a client may learn what a token carries (`Action::"introspect"`).
    /// - Parameter question: the caller and the token.
    /// - Returns: one ruling, its right `introspect`.
    public func decide(_ question: IntrospectionQuestion) -> AccessDecision.Ruling {
        var context: [CedarString: CedarValue] = [
            "door": .string(question.party.door.rawValue),
            "grantType": .string("introspect"),
            "scopes": .set(Set(question.scopes.map { .entity(EntityUID("Scope", $0)) })),
            "audiences": .set(Set(question.audiences.map { .string($0) })),
            "tokenType": .string(question.tokenType),
        ]
        if let holder = question.holder { context["holder"] = .entity(EntityUID("Client", holder)) }
        if let user = question.user { context["user"] = .entity(EntityUID("User", user)) }
        return single("introspect", party: question.party, user: question.user, context: context)
    }

    /// Asks `Action::"challenge"` for a token request, with this server as resource.
    /// - Parameters:
    ///   - party: the client.
    ///   - context: the `Challenge` context (docs/policy.md).
    /// - Returns: the ruling and, for a `forbidden` one, the `@challenge` and `@reason` annotations of the forbids.
    func challenge(
        party: AccessQuestion.Party,
        context: [CedarString: CedarValue]
    ) -> (AccessDecision.Ruling, [(challenge: String?, reason: String?)]) {
        let ruling = single("challenge", party: party, user: nil, context: context)
        guard ruling.verdict == .forbidden else { return (ruling, []) }
        let annotations: [(challenge: String?, reason: String?)] = ruling.policies.map { reference in
            let policy = layers.first { $0.source == reference.source }?.policies[reference.id]
            return (challenge: policy?.annotation("challenge"), reason: policy?.annotation("reason"))
        }
        return (ruling, annotations)
    }

    /// Whether some policy could forbid `Action::"challenge"` (only then is every token request asked).
    public var mayChallenge: Bool {
        layers.contains { layer in
            layer.policies.values.contains { policy in
                policy.effect == .forbid && (policy.actionEntities?.contains(EntityUID("Action", "challenge")) ?? true)
            }
        }
    }

    private func single(
        _ action: String,
        party: AccessQuestion.Party,
        user: String?,
        context: [CedarString: CedarValue]
    ) -> AccessDecision.Ruling {
        let client = EntityUID("Client", party.id)
        guard let store = try? EntityStore(entities(party, client: client, user: user)) else {
            return .init(right: action, verdict: .failed, policies: [], errors: ["the request's entities are inconsistent"])
        }
        return ruling(
            action,
            AuthorizationRequest(principal: client, action: EntityUID("Action", action), resource: trustDomain, context: context),
            store
        )
    }

    /// The Cedar text of a policy named in a ruling, as the formatter writes it.
    /// - Parameter reference: a policy reference from an ``AccessDecision``.
    /// - Returns: the policy's text, or `nil` when no layer holds it.
    public func text(of reference: PolicyReference) -> String? {
        layers.first { $0.source == reference.source }?.policies[reference.id].map { PolicyFormatter.format($0) }
    }

    /// The effective policy set as Cedar text: the shipped defaults (unless replaced), then the owner's.
    public var effectivePolicyText: String {
        var parts: [String] = []
        if owner?.includesDefaults ?? true {
            parts.append("// ==== \(Self.defaultsSource): shipped with Tessera ====\n" + PolicyVocabulary.defaultPoliciesText)
        }
        if !configuredText.isEmpty {
            parts.append("// ==== \(ConfiguredPolicies.source): the configuration's keys, as policies ====\n" + configuredText)
        }
        for file in translated { parts.append("// ==== \(file.source): translated into the one vocabulary ====\n" + file.text) }
        if let owner { parts.append("// ==== \(owner.source): the owner's policies ====\n" + owner.text) }
        return parts.joined(separator: "\n\n") + "\n"
    }

    private func ruling(_ right: String, _ request: AuthorizationRequest, _ store: EntityStore) -> AccessDecision.Ruling {
        var permits: [PolicyReference] = []
        var forbids: [PolicyReference] = []
        var failing: [PolicyReference] = []
        var errors: [String] = []
        for layer in layers {
            let response = layer.authorizer.isAuthorized(request, entities: store)
            for failure in response.diagnostics.errors {
                let reference = layer.reference(failure.policyID)
                failing.append(reference)
                errors.append("\(reference): \(failure.error)")
            }
            let reasons = response.diagnostics.reasons.sorted().map(layer.reference)
            if response.decision == .allow { permits += reasons } else { forbids += reasons }
        }
        if !failing.isEmpty { return .init(right: right, verdict: .failed, policies: failing, errors: errors) }
        if !forbids.isEmpty { return .init(right: right, verdict: .forbidden, policies: forbids, errors: []) }
        if !permits.isEmpty { return .init(right: right, verdict: .permitted, policies: permits, errors: []) }
        return .init(right: right, verdict: .notPermitted, policies: [], errors: [])
    }

    private func entities(_ party: AccessQuestion.Party, client: EntityUID, user: String?) -> [Entity] {
        var list = [
            Entity(
                uid: client,
                attributes: [
                    "door": .string(party.door.rawValue),
                    "registered": .bool(party.registered),
                    "scopes": .set(Set(party.scopes.map { .entity(EntityUID("Scope", $0)) })),
                    "introspectionAudiences": .set(Set(party.introspectionAudiences.map { .string($0) })),
                ],
                parents: [trustDomain]
            )
        ]
        if let user { list.append(Entity(uid: EntityUID("User", user))) }
        return list
    }

    private func context(_ question: AccessQuestion, rights: [String]) -> [CedarString: CedarValue] {
        var context: [CedarString: CedarValue] = [
            "door": .string(question.door.rawValue),
            "grantType": .string(question.grantType),
            "scopes": .set(Set(rights.map { .entity(EntityUID("Scope", $0)) })),
            "audiences": .set(Set(question.audiences.map { .string($0) })),
            "requestedTokenType": .string(question.requestedTokenType),
            "peer": .string(question.peer),
        ]
        if let user = question.user { context["user"] = .entity(EntityUID("User", user)) }
        if let chaining = question.chaining { context["chaining"] = Self.cedar(.object(chaining)) }
        return context
    }

    /// JSON → Cedar values; `null` and non-integral numbers have no Cedar form and are left out.
    static func cedar(_ value: JSONValue) -> CedarValue? {
        switch value {
        case .null: return nil
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            guard number.rounded() == number, abs(number) < 9e15 else { return nil }
            return .long(Int64(number))
        case .string(let text): return .string(CedarString(text))
        case .array(let items): return .set(Set(items.compactMap(cedar)))
        case .object(let members):
            return .record(
                Dictionary(uniqueKeysWithValues: members.compactMap { key, value in cedar(value).map { (CedarString(key), $0) } })
            )
        }
    }
}

/// A policy file translated into the one vocabulary (``PolicyTranslation``): a layer of its own.
public struct TranslatedPolicies: Sendable, Hashable {
    /// The file's name, the source its policies are named by.
    public let source: String
    /// The translated Cedar text.
    public let text: String
    /// Translated policies that can never apply (Cedar's `impossiblePolicy`), one line each placed at the
    /// file's own policy (``PolicyTranslation/warnings(of:origins:parsed:source:)``); logged at start.
    public let warnings: [String]

    /// Translates a file.
    /// - Parameters:
    ///   - text: the file's text in its old vocabulary.
    ///   - source: the file's name.
    ///   - role: which old vocabulary.
    /// - Throws: ``PolicyTranslationError`` when a policy cannot be translated faithfully.
    public init(text: String, source: String, role: PolicyTranslation.Role) throws(PolicyTranslationError) {
        self.source = source
        let translation = try PolicyTranslation.translation(text, source: source, role: role)
        self.text = translation.text
        warnings = PolicyTranslation.warnings(
            of: translation.translated,
            origins: translation.origins,
            parsed: translation.parsed,
            source: source
        )
    }

    /// Translates a file, or forbids everything when it cannot be (fails closed; start-up refuses such a file first).
    /// - Parameters:
    ///   - text: the file's text in its old vocabulary.
    ///   - source: the file's name.
    ///   - role: which old vocabulary.
    /// - Returns: the translated layer.
    public static func orForbidAll(text: String, source: String, role: PolicyTranslation.Role) -> TranslatedPolicies {
        (try? TranslatedPolicies(text: text, source: source, role: role)) ?? TranslatedPolicies(source: source, text: "")
    }

    private init(source: String, text: String) {
        self.source = source
        self.text = "@id(\"\(source) cannot be translated\") forbid (principal, action, resource);"
        warnings = []
    }
}
