/// The SQL both backends run to walk the ledger's derivation edges (issue 19): plain SQL that SQLite and
/// PostgreSQL read alike, with the root's placeholder (`?` or `$1`) filled in by the caller.
///
/// The walk goes grant by grant: from every token of a reached grant to the tokens derived from it
/// (``TokenDerivation/parentIsToken``), whose whole grant is reached in turn — a derived token's family is
/// derived too. Revoking one token reaches only the grants derived from that token, not its own grant.
enum TokenLineageSQL {
    /// The derivations whose parent is a token, as an SQL list.
    static let tokenEdges = "('exchange', 'jwt_grant')"

    /// `WITH RECURSIVE derived(grant_id) AS (…)`: `anchor` (a SELECT of grant ids) and every grant derived from those.
    static func derived(from anchor: String) -> String {
        """
        WITH RECURSIVE derived(grant_id) AS (
            \(anchor)
            UNION
            SELECT c.grant_id FROM derived d
            JOIN access_tokens p ON p.grant_id = d.grant_id
            JOIN access_tokens c ON c.parent_id = p.jti AND c.parent_kind IN \(tokenEdges)
        )
        """
    }

    /// The anchor for one token (`placeholder` is its `jti`): the grants of the tokens derived from it.
    static func children(of placeholder: String) -> String {
        "SELECT grant_id FROM access_tokens WHERE parent_id = \(placeholder) AND parent_kind IN \(tokenEdges)"
    }

    /// Deletes expired access tokens, except a parent whose descendant is still recorded (a cascade from
    /// further up must still reach that descendant; the parent goes in a later sweep). `placeholder`: the cutoff.
    static func deleteExpiredAccessTokens(before placeholder: String) -> String {
        """
        DELETE FROM access_tokens WHERE expires_at < \(placeholder)
        AND NOT EXISTS (SELECT 1 FROM access_tokens c WHERE c.parent_id = access_tokens.jti AND c.parent_kind IN \(tokenEdges))
        """
    }
}
