import Cedar

/// The people the effective policies name, indexed for routing (docs/policy.md, "Routing"): for each policy that
/// can apply to `Action::"approve"`, the people it names, kept by the one right its resource scope allows
/// (`resource == Scope::"<right>"`) or, for any other resource scope (`resource`, `resource in …`, `is`, another
/// entity such as an audience's `Resource`), for every right. Routing asks about a right only the people a policy
/// that can decide it names, so an owner's set naming thousands of people, one per right, costs a request one
/// decision per right and person it can concern rather than one per right and person named anywhere.
struct NamedApprovers: Sendable {
    /// Named by a policy that may decide any right.
    private var everywhere: Set<String> = []
    /// Named by a policy whose resource scope is exactly `resource == Scope::"<right>"`, by right.
    private var byRight: [String: Set<String>] = [:]

    /// Indexes the people named by `policies`.
    /// - Parameter policies: the effective policies, every layer.
    init(_ policies: some Sequence<Policy>) {
        let approve = EntityUID("Action", "approve")
        for policy in policies where policy.actionEntities?.contains(approve) ?? true {
            let people = policy.entityLiterals.filter { $0.type.name == "User" && !$0.id.value.isEmpty }.map(\.id.value)
            guard !people.isEmpty else { continue }
            if policy.resourceIsSingleEntity, let resource = policy.resourceEntity, resource.type.name == "Scope" {
                byRight[resource.id.value, default: []].formUnion(people)
            } else {
                everywhere.formUnion(people)
            }
        }
    }

    /// Everyone named by a policy that can decide `right`, sorted.
    /// - Parameter right: the requested right (`Scope::"<right>"`).
    /// - Returns: the candidates to ask about, in a stable order.
    func candidates(for right: String) -> [String] {
        everywhere.union(byRight[right] ?? []).sorted()
    }
}
