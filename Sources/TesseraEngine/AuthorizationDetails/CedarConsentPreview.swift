public import Cedar
import Foundation
public import TesseraProtocol

/// What a consent page shows a person for one Cedar-profile entry (draft-cecchetti-oauth-rar-cedar):
/// each policy in plain language (``PolicyExplainer`` with the schema configured for the entry's
/// `type`), the policy exactly as requested, and what the AS will change when it grants it —
/// actions it will not delegate, conditions and expiry it adds, the principal it pins.
///
/// The changes come from ``CedarDetailsGranter``'s per-policy decision, the one issuance applies, so
/// the page cannot promise other than what the token will carry (the expiry is counted from when the
/// token is issued, so it is a little later there). The preview changes nothing: what a person
/// approves is still the request as shown (the GNAP form's `rights_digest`).
public struct CedarConsentPreview: Sendable {
    /// One policy of the entry's `policySet`, in the order the consent form numbers them.
    public struct Item: Sendable {
        /// The policy as requested, as canonical Cedar text.
        public var cedar: String
        /// The requested policy in plain language.
        public var explanation: PolicyExplanation
        public var outcome: Outcome
        /// The requested policy (to explain it again in another language).
        var policy: Policy
    }

    /// What the AS does with one policy if the person approves it.
    public enum Outcome: Sendable {
        /// Granted exactly as asked (a `forbid`, or a `permit` the AS adds nothing to).
        case asRequested
        /// Granted narrower than asked.
        case narrowed(Narrowing)
        /// Not granted at all; the reason, for the person.
        case refused(String)
    }

    /// How a granted policy differs from the requested one.
    public struct Narrowing: Sendable {
        /// The actions the AS will not delegate, by their display names.
        public var droppedActions: [String]
        /// Conditions the granted policy has and the requested one does not (limits, expiry).
        public var addedConditions: [PolicyExplanation.Clause]
        /// The granted policy in plain language.
        public var granted: PolicyExplanation
        /// The granted policy as canonical Cedar text.
        public var grantedCedar: String
        /// Whether the granted scope sentence differs from the requested one (a pinned principal,
        /// fewer actions).
        public var scopeChanged: Bool
        /// The granted policy and the dropped actions (to explain them again in another language).
        var grantedPolicy: Policy
        var droppedActionIDs: [EntityUID]
    }

    public var items: [Item]
    /// A problem with the entry as a whole (nothing in it may be delegated, or it fails the type's
    /// checks): approving it would not give the application anything of it.
    public var problem: String?
    /// The explainer of the entry's type (its schema's display names).
    var explainer: PolicyExplainer

    /// The same preview with every explanation in another language (issue 21 item 4: the page's
    /// language, from `Accept-Language`). What is decided does not change, only its words.
    /// - Parameter phrases: the language.
    /// - Returns: the preview in that language.
    public func speaking(_ phrases: ExplanationPhrases) -> CedarConsentPreview {
        guard phrases != explainer.phrases else { return self }
        let explainer = explainer.speaking(phrases)
        var copy = self
        copy.explainer = explainer
        copy.items = items.map { item in
            var item = item
            item.explanation = explainer.explain(item.policy)
            if case .narrowed(var change) = item.outcome {
                change.granted = explainer.explain(change.grantedPolicy)
                change.addedConditions = change.granted.conditions.filter { !item.explanation.conditions.contains($0) }
                change.droppedActions = change.droppedActionIDs.map(explainer.name(of:))
                item.outcome = .narrowed(change)
            }
            return item
        }
        return copy
    }
}

extension AuthorizationDetailsProcessor {
    /// The consent page's view of a Cedar-profile entry for `party`, decided now; `nil` for an entry
    /// that is not Cedar-profile or whose `policySet` does not parse (it is then shown as it is).
    /// Its items are the set's static policies in source order, as ``CedarDetailsGranter`` and the
    /// GNAP consent form number them.
    public func preview(_ entry: JSONValue, to party: Party) -> CedarConsentPreview? {
        guard case .object(let members) = entry, members["rarFormat"] == .string("cedar"),
            let text = members["policySet"]?.stringValue, let set = try? PolicySet(parsing: text), !set.staticPolicies.isEmpty
        else { return nil }
        let typeName = members["type"]?.stringValue ?? ""
        guard let profile = types[typeName]?.cedar else {
            let explainer = PolicyExplainer()
            let reason = "this server has no Cedar profile for the type '\(FormParameters.printableValue(typeName))'"
            return CedarConsentPreview(
                items: set.staticPolicies.map {
                    CedarConsentPreview.Item(
                        cedar: PolicyFormatter.format($0),
                        explanation: explainer.explain($0),
                        outcome: .refused(reason),
                        policy: $0
                    )
                },
                problem: reason,
                explainer: explainer
            )
        }
        let explainer = PolicyExplainer(schema: profile.schema)
        let granter = CedarDetailsGranter(profile: profile, label: "authorization_details", type: typeName)
        var problem: String?
        do { _ = try granter.validated(policySet: text) } catch { problem = error.message }
        let at = now()
        var grantsAPermit = false
        let items = set.staticPolicies.map { policy -> CedarConsentPreview.Item in
            let requested = explainer.explain(policy)
            let outcome: CedarConsentPreview.Outcome
            if let problem {
                outcome = .refused(problem)
            } else {
                let decision: CedarDetailsGranter.PolicyDecision
                switch Result(catching: { () throws(OAuthError) in try granter.decide(policy, to: party, at: at) }) {
                case .success(let decided): decision = decided
                case .failure(let error):
                    return .init(
                        cedar: PolicyFormatter.format(policy),
                        explanation: requested,
                        outcome: .refused(error.message),
                        policy: policy
                    )
                }
                switch decision {
                case .kept:
                    outcome = .asRequested
                case .refused:
                    outcome = .refused("none of its actions may be delegated to this application")
                case .narrowed(let narrowed, let dropped):
                    grantsAPermit = true
                    let granted = explainer.explain(narrowed)
                    let added = granted.conditions.filter { !requested.conditions.contains($0) }
                    let scopeChanged = granted.sentence != requested.sentence
                    outcome =
                        dropped.isEmpty && added.isEmpty && !scopeChanged
                        ? .asRequested
                        : .narrowed(
                            .init(
                                droppedActions: dropped.map(explainer.name(of:)),
                                addedConditions: added,
                                granted: granted,
                                grantedCedar: PolicyFormatter.format(narrowed),
                                scopeChanged: scopeChanged,
                                grantedPolicy: narrowed,
                                droppedActionIDs: dropped
                            )
                        )
                }
            }
            return CedarConsentPreview.Item(cedar: PolicyFormatter.format(policy), explanation: requested, outcome: outcome, policy: policy)
        }
        if problem == nil, !grantsAPermit {
            problem = "nothing in it may be delegated to this application, so approving it gives the application none of it"
        }
        return CedarConsentPreview(items: items, problem: problem, explainer: explainer)
    }
}
