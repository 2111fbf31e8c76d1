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
