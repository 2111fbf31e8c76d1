import TesseraProtocol

/// The decisions routing asks for one grant request (docs/policy.md, "Routing"), counted and bounded: for each
/// right, first whether anyone else (`User::""`) may approve it, then only the people a policy that can decide the
/// right names (``NamedApprovers``) plus the configured resource owners, stopping at the second person allowed;
/// the request stops at its second owner. Past ``decisionBudget`` the request is refused, so no policy and no
/// request can make routing ask an unbounded number of decisions.
struct OwnerRouting {
    /// The most decisions routing asks for one request.
    static let decisionBudget = 1_000

    let decisions: DecisionPoint
    /// The people `gnap.interaction.resource_owners` names: candidates for every right.
    let configuredOwners: Set<String>
    /// The decisions asked so far.
    private(set) var asked = 0

    /// The one person who owns the question's rights.
    /// - Parameter base: the `Action::"approve"` question for the whole request, without `user`.
    /// - Returns: the owner, or `nil` when no right is owned.
    /// - Throws: ``GNAPError`` `request_denied` when the rights belong to more than one owner, or when routing
    ///   would need more than ``decisionBudget`` decisions.
    mutating func owner(of base: AccessQuestion) throws(GNAPError) -> String? {
        var rights: [String] = []
        var seen = Set<String>()
        for right in base.rights where seen.insert(right).inserted { rights.append(right) }
        var owner: String?
        for right in rights {
            guard try !mayApprove("", right, base) else { continue }
            var allowed: [String] = []
            for person in configuredOwners.union(decisions.approvers.candidates(for: right)).sorted() {
                guard try mayApprove(person, right, base) else { continue }
                allowed.append(person)
                // Two people may approve it: nobody owns this right alone.
                if allowed.count > 1 { break }
            }
            guard allowed.count == 1 else { continue }
            if let owner, owner != allowed[0] {
                throw GNAPError(
                    .requestDenied,
                    "the requested rights belong to different resource owners; request each owner's rights in a separate grant (RFC 9635 §1.4)"
                )
            }
            owner = allowed[0]
        }
        return owner
    }

    /// Whether `person` may approve `right`: one decision, counted against the budget.
    private mutating func mayApprove(_ person: String, _ right: String, _ base: AccessQuestion) throws(GNAPError) -> Bool {
        guard asked < Self.decisionBudget else {
            throw GNAPError(
                .requestDenied,
                "too many rights and resource owners to route this request (more than \(Self.decisionBudget) decisions); request fewer rights per grant"
            )
        }
        asked += 1
        var question = base
        question.rights = [right]
        question.user = person
        return decisions.decide(question).refusals.isEmpty
    }
}
