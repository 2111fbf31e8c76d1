import TesseraProtocol

extension GNAPService {
    /// Who alone may approve, decided from the request as it stands (at the start of an interaction
    /// and again when the person decides), by the one decision point (docs/policy.md, "Routing"): for
    /// each requested access type or reference, `Action::"approve"` is asked for anyone else (`User::""`)
    /// and then for each person the configuration names as a resource owner or a policy that can decide
    /// that right names (``OwnerRouting``, a bounded number of decisions). A right anyone else
    /// may not approve and exactly one named person may belongs to that person; with
    /// `gnap.interaction.resource_owners` translated into policies this is the map itself, and an
    /// owner's `forbid` on `approve` routes the same way. Only when no right is owned, the client's
    /// `user` hint, else an identifier in `subject.sub_ids`, names the person. A hint never overrides
    /// ownership (the client operator is not the authorizing party, RFC 9635 §1.4).
    /// - Parameters:
    ///   - request: the grant request.
    ///   - client: the grant's client as every other decision sees it: the registered instance and its
    ///     `allowed_access` from the one registry (configuration file or `tessera clients`), else its key.
    /// - Returns: the one person who may approve, and whether the policies route the grant to them (rather than
    ///   the client's hint naming them); `nil` when anyone signed in may answer.
    /// - Throws: ``GNAPError`` `request_denied` when the rights belong to more than one owner: one
    ///   person's approval never decides for another's resources, so such a request is refused (the
    ///   client asks for each owner's rights in its own grant); also when routing would need more than
    ///   ``OwnerRouting/decisionBudget`` decisions.
    func resourceOwner(for request: GNAPGrantRequest, client: ClientIdentity) throws(GNAPError) -> (name: String, routed: Bool)? {
        let configuredOwners = Set(configuration.interaction.resourceOwners.values)
        if !configuredOwners.isEmpty || !decisions.namedPeople.isEmpty, request.accessToken != nil {
            var routing = OwnerRouting(decisions: decisions, configuredOwners: configuredOwners)
            if let owner = try routing.owner(of: AccessRequest(gnap: request).question(.approve, by: client)) { return (owner, true) }
        }
        func named(_ identifiers: [[String: JSONValue]]?) -> String? {
            for identifier in identifiers ?? [] {
                switch identifier["format"]?.stringValue {
                case "opaque": if let id = identifier["id"]?.stringValue { return id }
                case "iss_sub" where identifier["iss"]?.stringValue == issuerID: if let sub = identifier["sub"]?.stringValue { return sub }
                default: continue
                }
            }
            return nil
        }
        if case .value(let subIDs, _)? = request.user, let owner = named(subIDs) { return (owner, false) }
        return named(request.subject?.subIDs).map { ($0, false) }
    }
}
