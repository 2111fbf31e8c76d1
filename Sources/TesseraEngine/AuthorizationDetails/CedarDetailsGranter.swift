import Cedar
import Foundation
import TesseraProtocol

/// The Cedar profile for RAR (draft-cecchetti-oauth-rar-cedar §2, §7) for one entry: parses the
/// requested `policySet`, validates it against the type's schema, asks the AS's delegation
/// policies which actions may be delegated, and returns the narrowed set as canonical Cedar text.
///
/// Narrowing rules (docs/rar-cedar.md): `forbid` policies are kept as asked (they only take
/// away); each `permit` keeps only the actions the delegation policies allow, is pinned to the
/// token subject when the type says so, and gets the type's extra `when` conditions and expiry.
struct CedarDetailsGranter {
    /// Entity type of the client in delegation requests.
    static let clientType = EntityType("Tessera::Client")
    /// The delegation request's resource when the requested policy names none (`resource`); for
    /// `resource is T` it is `T::"*"`, so the AS's `resource is T` matches and `resource == T::"x"` does not.
    static let unconstrainedResource = EntityUID("Tessera::Resource", "*")

    /// The deepest expression a requested policy may hold (``Cedar/Policy/expressionDepth``): each
    /// level of nesting and each operand of an operator, attribute or method chain counts one.
    ///
    /// The validator, formatter and explainer this profile runs on a requested set recurse once
    /// per level: a 2,500-operand `+` chain, a 5 KB request, once overflowed the server's stack.
    /// The Cedar parser now refuses any policy deeper than ``Cedar/Policy/maximumExpressionDepth``
    /// (also 100 levels, text and JSON), so a deeper request already fails in ``parse(_:label:)``
    /// as a syntax error naming the depth; this check stays as a second line should the two limits
    /// ever differ. 100 is far deeper than any policy a client writes by hand (docs/SECURITY.md).
    /// The draft leaves what an AS accepts to the AS (draft-cecchetti-oauth-rar-cedar §7); RFC 9396
    /// §5 gives the error for it.
    static let maximumExpressionDepth = 100

    let profile: AuthorizationDetailsType.CedarProfile
    let label: String
    let type: String

    /// Parses and checks a requested or granted policy set: syntax, templates, emptiness.
    static func parse(_ text: String, label: String) throws(OAuthError) -> PolicySet {
        let set: PolicySet
        do { set = try PolicySet(parsing: text) } catch {
            let problems = error.diagnostics.prefix(3).map { d in
                (d.location.map { "line \($0.line), column \($0.column): " } ?? "") + d.message
            }
            throw .invalidAuthorizationDetails("\(label).policySet has a Cedar syntax error at \(problems.joined(separator: "; "))")
        }
        if let template = set.templates.first {
            throw .invalidAuthorizationDetails(
                "\(label).policySet: the policy at \(location(template)) is a template (\(template.slots.map(\.rawValue).joined(separator: ", "))); template slots cannot be granted"
            )
        }
        guard !set.staticPolicies.isEmpty else { throw .invalidAuthorizationDetails("\(label).policySet holds no policy") }
        // Measured without recursion, before anything that recurses per level sees the policy.
        for policy in set.staticPolicies where policy.expressionDepth > maximumExpressionDepth {
            throw .invalidAuthorizationDetails(
                "\(label).policySet: the policy at \(location(policy)) nests or chains its conditions \(policy.expressionDepth) levels deep; at most \(maximumExpressionDepth) are accepted (each operand of `a + b + …`, `a && b && …` or `a.b.c…` is one level)"
            )
        }
        return set
    }

    /// Decides and narrows a requested policy set for `party`, under an approval given at `approvedAt` (the start of
    /// the type's `valid_for` window); returns the granted Cedar text.
    func grant(policySet text: String, to party: AuthorizationDetailsProcessor.Party, at approvedAt: Date) throws(OAuthError) -> String {
        let set = try validated(policySet: text)
        return try grant(set, to: party, at: approvedAt)
    }

    /// The checks that need no party: syntax, templates, emptiness, size, the schema.
    func validated(policySet text: String) throws(OAuthError) -> PolicySet {
        // The same text passes the same checks again (pure functions of the text and this profile): issue 22.
        if let known = profile.validatedSets.set(for: text) { return known }
        let set = try Self.parse(text, label: label)
        guard set.staticPolicies.count <= profile.maximumPolicies else {
            throw .invalidAuthorizationDetails(
                "\(label).policySet has \(set.staticPolicies.count) policies; at most \(profile.maximumPolicies) are accepted"
            )
        }
        if let validator = profile.validator {
            let report = validator.validate(set)
            if let first = report.errors.first {
                let at = first.location.map { "line \($0.line), column \($0.column)" } ?? first.policyID
                var message =
                    "\(label).policySet does not validate against the schema of type '\(type)': the policy at \(at): \(first.message)"
                if let expression = first.expression { message += " in `\(expression)`" }
                throw .invalidAuthorizationDetails(message)
            }
        }
        profile.validatedSets.remember(set, for: text)
        return set
    }

    private func grant(_ set: PolicySet, to party: AuthorizationDetailsProcessor.Party, at approvedAt: Date) throws(OAuthError) -> String {
        var granted: [Policy] = []
        var refused: [String] = []
        for policy in set.staticPolicies {
            switch try decide(policy, to: party, at: approvedAt) {
            case .kept(let kept):
                granted.append(kept)
            case .narrowed(let narrowed, let dropped):
                for action in dropped { refused.append("\(action) (policy at \(Self.location(policy)))") }
                granted.append(narrowed)
            case .refused(let dropped):
                for action in dropped { refused.append("\(action) (policy at \(Self.location(policy)))") }
            }
        }
        guard granted.contains(where: { $0.effect == .permit }) else {
            throw .invalidAuthorizationDetails(
                "\(label): nothing in the policy set may be delegated to this client; refused: \(refused.joined(separator: ", "))"
            )
        }
        do { return PolicyFormatter.format(try PolicySet(policies: granted)) } catch {
            throw .invalidAuthorizationDetails("\(label).policySet: \(error.description)")
        }
    }

    /// What the AS does with one requested policy: the single rule both issuance and the consent
    /// page's preview (``AuthorizationDetailsProcessor/preview(_:to:)``) use.
    enum PolicyDecision {
        /// A `forbid`, kept as asked (it only takes away).
        case kept(Policy)
        /// A `permit` granted as this policy: the actions the delegation policies refused are dropped,
        /// the principal pinned, the type's conditions and expiry added.
        case narrowed(Policy, droppedActions: [EntityUID])
        /// A `permit` none of whose actions may be delegated: left out.
        case refused(droppedActions: [EntityUID])
    }

    /// Decides one policy of a validated set for `party`, under an approval given at `approvedAt`: the type's
    /// `valid_for` window counts from it ("grant time + N seconds", docs/rar-cedar.md), never from the request that
    /// mints a token under that approval (a GNAP continuation, a refresh: second review, G4).
    /// - Throws: ``OAuthError`` `invalid_authorization_details` when the policy names no actions or
    ///   another principal than the pinned one.
    func decide(_ policy: Policy, to party: AuthorizationDetailsProcessor.Party, at approvedAt: Date) throws(OAuthError) -> PolicyDecision {
        if policy.effect == .forbid { return .kept(policy) }
        var extra = profile.conditions
        if let end = profile.windowEnd(approvedAt: approvedAt) {
            let until = end * 1000
            // The text is built from an integer timestamp, so it always parses.
            if let expiry = try? PolicyCondition(parsing: "context.now < \(ExtensionValue.datetime(until))") { extra.append(expiry) }
        }
        let pinned = profile.pinPrincipalType.map { EntityUID(type: $0, id: CedarString(party.subject)) }
        guard let actions = policy.actionEntities else {
            throw .invalidAuthorizationDetails(
                "\(label).policySet: the policy at \(Self.location(policy)) must name the actions to delegate (action == … or action in [ … ])"
            )
        }
        if let pinned, let named = policy.principalEntity, named != pinned {
            throw .invalidAuthorizationDetails(
                "\(label).policySet: the policy at \(Self.location(policy)) names principal \(named), but this token's subject is \(pinned)"
            )
        }
        let allowed = actions.filter { mayDelegate($0, of: policy, to: party) }
        let dropped = actions.filter { !allowed.contains($0) }
        guard !allowed.isEmpty, let narrowed = policy.narrowed(principal: pinned, actions: allowed, conditions: extra) else {
            return .refused(droppedActions: dropped)
        }
        return .narrowed(narrowed, droppedActions: dropped)
    }

    /// One delegation question to the AS's policies: may this client be delegated `action` on the
    /// policy's resource? Errors in the AS's policies count as "no" (fail closed).
    private func mayDelegate(_ action: EntityUID, of policy: Policy, to party: AuthorizationDetailsProcessor.Party) -> Bool {
        var context: [CedarString: CedarValue] = [
            "type": .string(type),
            "subject": .string(party.subject),
            "resourceIsExact": .bool(policy.resourceIsSingleEntity),
        ]
        if let principal = policy.principalEntity { context["principal"] = .entity(principal) }
        let request = AuthorizationRequest(
            principal: EntityUID(type: Self.clientType, id: CedarString(party.clientID)),
            action: action,
            resource: policy.resourceEntity ?? policy.resourceType.map { EntityUID(type: $0, id: "*") } ?? Self.unconstrainedResource,
            context: context
        )
        let answer = profile.delegation.isAuthorized(request, entities: EntityStore())
        return answer.decision == .allow && answer.diagnostics.errors.isEmpty
    }

    /// For a derived token (refresh, exchange): the requested set if every one of its policies is in
    /// the granted set (compared as canonical Cedar text), with every `forbid` of the granted set
    /// kept — dropping one would permit what the granted set forbids — else `nil`. So the result
    /// permits nothing the granted set does not.
    ///
    /// This compares one entry with one entry. The forbids of the parent's other Cedar entries, which the resource
    /// server merges with this one, are carried by ``CedarForbidCarry`` (review round 10, H1).
    static func subset(requested: String, of granted: String, label: String) throws(OAuthError) -> String? {
        let asked = try parse(requested, label: label)
        guard let held = try? PolicySet(parsing: granted) else { return nil }
        let heldTexts = Set(held.staticPolicies.map { PolicyFormatter.format($0) })
        guard asked.staticPolicies.allSatisfy({ heldTexts.contains(PolicyFormatter.format($0)) }) else { return nil }
        let askedTexts = Set(asked.staticPolicies.map { PolicyFormatter.format($0) })
        let forbids = held.staticPolicies.filter { $0.effect == .forbid && !askedTexts.contains(PolicyFormatter.format($0)) }
        guard !forbids.isEmpty else { return PolicyFormatter.format(asked) }
        // Re-parsed from text so the two sets' policy ids cannot clash.
        let text = ([PolicyFormatter.format(asked)] + forbids.map { PolicyFormatter.format($0) }).joined(separator: "\n")
        guard let combined = try? PolicySet(parsing: text) else { return nil }
        return PolicyFormatter.format(combined)
    }

    /// `line L, column C` of a policy in its policy set text.
    private static func location(_ policy: Policy) -> String {
        policy.location.map { "line \($0.line), column \($0.column)" } ?? policy.id
    }
}
