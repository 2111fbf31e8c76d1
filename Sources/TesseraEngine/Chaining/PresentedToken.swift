import Foundation
import TesseraProtocol

/// A subject or actor token after validation (RFC 8693 §2.1): who it is about, who holds it, what it allows.
struct PresentedToken: Sendable {
    /// The issuer; our own issuer identifier for our access tokens.
    var issuer: String
    var subject: String
    /// The client the token was issued to (`client_id`, or `azp` for ID tokens), when it says.
    var clientID: String?
    var audience: [String]
    var scope: Scope
    /// The delegation chain the token already carries (RFC 8693 §4.1).
    var actor: ActorClaim?
    /// Who may act for the subject (RFC 8693 §4.4).
    var mayAct: ActorClaim?
    var claims: JWTClaimSet
    /// Whether this server issued it (one of our access tokens): only then are its audience and
    /// `authorization_details` rights at our resource servers that a derived token may keep or narrow.
    var isOurs = false

    /// The key the token is bound to (`cnf`: DPoP `jkt`, RFC 9449 §6.1; certificate `x5t#S256`,
    /// RFC 8705 §3.1; a GNAP client key, RFC 9635 §7.3), whoever issued it. A `cnf` that does not
    /// decode still counts as a binding, with neither member set, so it can never be dropped.
    var confirmation: Confirmation? {
        guard claims["cnf"] != nil else { return nil }
        return claims.decode("cnf", as: Confirmation.self) ?? Confirmation(jkt: nil)
    }

    /// The rights the token holds as RFC 9396 `authorization_details`: ours only (another issuer's
    /// details name types and policies this server never decided).
    var authorizationDetails: [JSONValue]? {
        guard isOurs, case .array(let entries)? = claims["authorization_details"], !entries.isEmpty else { return nil }
        return entries
    }

    /// Whether the token was issued to (or is about, or is addressed to) this client: the
    /// "entitled to present it" check of identity chaining §5.3.
    func belongs(to client: String) -> Bool {
        clientID == client || (clientID == nil && (subject == client || audience.contains(client)))
    }

    /// Whether `may_act` names this party.
    func mayBeActedFor(by subject: String, issuer: String?) -> Bool {
        guard let mayAct, mayAct.sub == subject else { return false }
        if let required = mayAct.iss { return required == issuer }
        return true
    }
}
