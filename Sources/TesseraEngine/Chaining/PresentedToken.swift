import Foundation
import TesseraProtocol

/// A subject or actor token after validation (RFC 8693 §2.1): who it is about, who holds it, what it allows.
struct PresentedToken: Sendable {
    /// The issuer; our own issuer identifier for our access tokens.
    var issuer: String
    var subject: String
    /// Who the token was issued to: for ours, the ledger's holder (an OAuth client or a GNAP
    /// instance); for a trusted issuer's, the OAuth client its `client_id` (or an ID token's `azp`) names.
    var holder: TokenHolder?
    var audience: [String]
    var scope: Scope
    /// The delegation chain the token already carries (RFC 8693 §4.1).
    var actor: ActorClaim?
    /// Who may act for the subject (RFC 8693 §4.4).
    var mayAct: ActorClaim?
    var claims: JWTClaimSet
    /// The rights the token holds as RFC 9396 `authorization_details`, GNAP access objects included
    /// (``LedgerEntry/authorizationDetails``): ours only (another issuer's details name types and
    /// policies this server never decided).
    var authorizationDetails: [JSONValue]? = nil
    /// Whether this server issued it (one of our access tokens): only then are its audience and
    /// `authorization_details` rights at our resource servers that a derived token may keep or narrow.
    var isOurs = false
    /// When one of our tokens expires, as the ledger records it; `nil` for another issuer's. A token derived
    /// from ours never outlives it (``DerivedTokenRules/expiry(of:)``).
    var expiresAt: Date? = nil

    /// The key the token is bound to (`cnf`: DPoP `jkt`, RFC 9449 §6.1; certificate `x5t#S256`,
    /// RFC 8705 §3.1; a GNAP client key, RFC 9635 §7.3), whoever issued it. A `cnf` that does not
    /// decode still counts as a binding, with neither member set, so it can never be dropped.
    var confirmation: Confirmation? { claims.confirmation }

    /// Whether the token was issued to (or is about, or is addressed to) the OAuth client `client`:
    /// the "entitled to present it" check of identity chaining §5.3. A token issued to a GNAP instance
    /// belongs to no OAuth client, whatever the names (RFC 9635 §2.3 and RFC 6749 §2.2 are different name spaces).
    func belongs(to client: String) -> Bool {
        guard let holder else { return subject == client || audience.contains(client) }
        return holder.isOAuthClient(client)
    }

    /// Whether `may_act` names this party.
    func mayBeActedFor(by subject: String, issuer: String?) -> Bool {
        guard let mayAct, mayAct.sub == subject else { return false }
        if let required = mayAct.iss { return required == issuer }
        return true
    }
}
