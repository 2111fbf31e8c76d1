public import Cedar

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
    /// The owner's set, if one is configured.
    public let owner: OwnerPolicy?
    /// This server's trust domain, every local client's parent (`principal in TrustDomain::"<issuer>"`).
    let trustDomain: EntityUID

    /// Compiles the effective policy set once.
    /// - Parameters:
    ///   - owner: the owner's validated set, or `nil` for the shipped defaults alone.
    ///   - issuer: this server's issuer identifier, the id of its `TrustDomain`.
    public init(owner: OwnerPolicy? = nil, issuer: String = "") {
        var layers: [Layer] = []
        if owner?.includesDefaults ?? true {
            layers.append(Layer(PolicyVocabulary.defaultPolicies, source: Self.defaultsSource))
        }
        if let owner { layers.append(Layer(owner.policies, source: owner.source)) }
        self.layers = layers
        self.owner = owner
        self.trustDomain = EntityUID("TrustDomain", issuer)
    }

    /// Decides every right of a question.
    /// - Parameter question: the door-neutral question.
    /// - Returns: one ruling per distinct right, in the order asked.
    public func decide(_ question: AccessQuestion) -> AccessDecision {
        let client = EntityUID("Client", question.party.id)
        var rights: [String] = []
        var seen = Set<String>()
        for right in question.rights where seen.insert(right).inserted { rights.append(right) }
        let store: EntityStore
        do { store = try EntityStore(entities(question, client: client)) } catch {
            // Only conflicting duplicates or cycles can fail, and these entities have neither;
            // should it happen, nothing is permitted.
            return AccessDecision(
                rulings: rights.map { .init(right: $0, verdict: .failed, policies: [], errors: ["the request's entities: \(error)"]) }
            )
        }
        let context = context(question, rights: rights)
        let action = EntityUID("Action", question.operation.name)
        let rulings = rights.map { right in
            ruling(
                right,
                AuthorizationRequest(principal: client, action: action, resource: EntityUID("Scope", right), context: context),
                store
            )
        }
        return AccessDecision(rulings: rulings)
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

    private func entities(_ question: AccessQuestion, client: EntityUID) -> [Entity] {
        let party = question.party
        var list = [
            Entity(
                uid: client,
                attributes: [
                    "door": .string(party.door.rawValue),
                    "registered": .bool(party.registered),
                    "scopes": .set(Set(party.scopes.map { .entity(EntityUID("Scope", $0)) })),
                ],
                parents: [trustDomain]
            )
        ]
        if let user = question.user { list.append(Entity(uid: EntityUID("User", user))) }
        return list
    }

    private func context(_ question: AccessQuestion, rights: [String]) -> [CedarString: CedarValue] {
        var context: [CedarString: CedarValue] = [
            "door": .string(question.door.rawValue),
            "grantType": .string(question.grantType),
            "scopes": .set(Set(rights.map { .entity(EntityUID("Scope", $0)) })),
            "audiences": .set(Set(question.audiences.map { .string($0) })),
        ]
        if let user = question.user { context["user"] = .entity(EntityUID("User", user)) }
        return context
    }
}
