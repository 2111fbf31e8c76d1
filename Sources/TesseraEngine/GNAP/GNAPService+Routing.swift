import TesseraProtocol

extension GNAPService {
    /// Who alone may approve, decided from the request as it stands (at the start of an interaction
    /// and again when the person decides), by the one decision point (docs/policy.md, "Routing"): for
    /// each requested access type or reference, `Action::"approve"` is asked for every person the
    /// configuration names as a resource owner or the effective policies name (`User::"<name>"`,
    /// ``DecisionPoint/namedPeople``) and for anyone else (`User::""`). A right anyone else
    /// may not approve and exactly one named person may belongs to that person; with
    /// `gnap.interaction.resource_owners` translated into policies this is the map itself, and an
    /// owner's `forbid` on `approve` routes the same way. Only when no right is owned, the client's
    /// `user` hint, else an identifier in `subject.sub_ids`, names the person. A hint never overrides
    /// ownership (the client operator is not the authorizing party, RFC 9635 §1.4).
    /// - Parameters:
    ///   - request: the grant request.
    ///   - client: the grant's client as every other decision sees it: the registered instance and its
    ///     `allowed_access` from the one registry (configuration file or `tessera clients`), else its key.
    /// - Returns: the one person who may approve, or `nil` when anyone signed in may answer.
    /// - Throws: ``GNAPError`` `request_denied` when the rights belong to more than one owner: one
    ///   person's approval never decides for another's resources, so such a request is refused (the
    ///   client asks for each owner's rights in its own grant).
    func resourceOwner(for request: GNAPGrantRequest, client: ClientIdentity) throws(GNAPError) -> String? {
        var owners = Set<String>()
        let people = Set(configuration.interaction.resourceOwners.values).union(decisions.namedPeople).sorted()
        if !people.isEmpty, request.accessToken != nil {
            let base = AccessRequest(gnap: request).question(.approve, by: client)
            var rights: [String] = []
            for right in base.rights where !rights.contains(right) { rights.append(right) }
            for right in rights {
                func mayApprove(_ person: String) -> Bool {
                    var question = base
                    question.rights = [right]
                    question.user = person
                    return decisions.decide(question).refusals.isEmpty
                }
                guard !mayApprove("") else { continue }
                let allowed = people.filter(mayApprove)
                if allowed.count == 1 { owners.insert(allowed[0]) }
            }
        }
        guard owners.count <= 1 else {
            throw GNAPError(
                .requestDenied,
                "the requested rights belong to different resource owners; request each owner's rights in a separate grant (RFC 9635 §1.4)"
            )
        }
        if let owner = owners.first { return owner }
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
        if case .value(let subIDs, _)? = request.user, let owner = named(subIDs) { return owner }
        return named(request.subject?.subIDs)
    }
}
