public import TesseraStorage

/// A person and a party — an OAuth client, a GNAP instance, a resource server — never share a name (review round 13,
/// L1). Tokens carry the approving person's username as `sub`, and the party's own id as `sub` when no person took part
/// (client credentials, an instance's self-approved grant): with a shared name a client's own token was the person's
/// to `/userinfo` and to every resource server keying on `sub`, and the engine, which reads `sub == client_id` as "no
/// person", would take the person's approval for none (RFC 9068 §5, OpenID Connect Core §5.3).
public enum PartyNames {
    /// Why a clash is refused, for messages.
    public static let rule = "a person and a client, GNAP instance or resource server may not share a name: tokens carry either as `sub`"

    /// The usernames that are also a registered party's id.
    /// - Parameter stores: the stores to read.
    /// - Returns: the clashing names, sorted.
    /// - Throws: store failures.
    public static func clashes(in stores: Stores) async throws -> [String] {
        let parties = Set(try await stores.clients.all().map(\.id))
        return try await stores.people.users().map(\.username).filter(parties.contains).sorted()
    }
}
