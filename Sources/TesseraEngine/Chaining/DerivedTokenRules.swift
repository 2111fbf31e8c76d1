import Foundation
import TesseraProtocol
import TesseraStorage

/// What a token derived from another may carry: never more than its parent (RFC 8693 §2.1, §5;
/// RFC 9700 §4.8 "privilege restriction"; RFC 8707 §2.2). Scope and `authorization_details` are
/// narrowed where each grant decides them; these are the audience and key-binding rules that every
/// derivation shares (token exchange, and through it the chaining grant and its Appendix B.2 redemption).
enum DerivedTokenRules {
    /// The audience of a derived token: the requested targets when every one of them is within the
    /// parent's audience, the parent's audience when none are requested.
    /// - Throws: ``OAuthError`` `invalid_target` naming the first target the parent does not reach.
    static func audience(requested: [String]?, within parent: [String]) throws(OAuthError) -> [String] {
        guard let requested else { return parent }
        if let beyond = requested.first(where: { !parent.contains($0) }) {
            throw OAuthError.invalidTarget(
                "'\(FormParameters.printableValue(beyond))' is not an audience of the subject_token; an exchanged token may only narrow its audience (RFC 8693 §2.1, RFC 8707 §2.2)"
            )
        }
        return requested
    }

    /// The ledger parent of a token derived from `subject` (issue 19): our own token's `jti`, so revoking it
    /// revokes the derived token; none for another issuer's token (its revocation never reaches our ledger).
    static func parent(_ subject: PresentedToken) -> TokenParent? {
        guard subject.isOurs, let jti = subject.claims.string("jti") else { return nil }
        return TokenParent(.exchange, jti)
    }

    /// The latest a derived token may expire: the earliest end of the tokens of ours it derives from (the
    /// subject token, and the actor token when one is presented), so exchanging a token again and again never
    /// keeps it alive past its parent (RFC 8693 §2.1; RFC 9700 §4.8). Another issuer's token sets no cap: its
    /// revocation and lifetime never reach our ledger.
    /// - Parameter tokens: the presented tokens the derived token comes from.
    /// - Returns: the cap, or `nil` when none of them is ours.
    static func expiry(of tokens: [PresentedToken?]) -> Date? {
        tokens.compactMap { $0?.isOurs == true ? $0?.expiresAt : nil }.min()
    }

    /// The key binding of a derived token (RFC 9449 §5, RFC 8705 §3, RFC 9700 §4.8).
    ///
    /// - `required`: the key the presenting party must prove with this request — the subject
    ///   token's when the client presents it as its own, the actor token's when a delegate acts.
    /// - `parentBound`: whether any token the derivation starts from is key-bound; then the derived
    ///   token is bound too (to the proven key), never bearer.
    ///
    /// Only DPoP proofs reach the token endpoint, so a certificate-bound token (`x5t#S256`) cannot be
    /// proven here and is refused.
    /// - Returns: the key the derived token is bound to: the one proven with this request.
    static func confirmation(
        required: Confirmation?,
        parentBound: Bool,
        proven: Confirmation?,
        role: String
    ) throws(OAuthError) -> Confirmation? {
        if let required {
            guard let bound = required.jkt, !bound.isEmpty else {
                throw OAuthError.invalidRequest(
                    required.x5tS256 != nil
                        ? "\(role) is bound to a client certificate (cnf x5t#S256), whose possession this token endpoint cannot verify (RFC 8705 §3)"
                        : "\(role) is bound to a key this token endpoint cannot verify (cnf)"
                )
            }
            guard let key = proven?.jkt else {
                throw OAuthError(
                    .invalidDPoPProof,
                    "\(role) is bound to a DPoP key (cnf.jkt); send a DPoP proof signed with that key (RFC 9449 §5)"
                )
            }
            guard ConstantTime.equals(Array(key.utf8), Array(bound.utf8)) else {
                throw OAuthError.invalidRequest("\(role) is bound to another key than the one this request's DPoP proof shows")
            }
        }
        if parentBound, proven?.jkt == nil {
            throw OAuthError(.invalidDPoPProof, "a key-bound token is only exchanged for a key-bound one: send a DPoP proof (RFC 9449 §5)")
        }
        return proven
    }
}
