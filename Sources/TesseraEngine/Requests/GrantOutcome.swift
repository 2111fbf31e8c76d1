public import TesseraProtocol

/// The engine's answer to an ``AccessRequest``, before any door words it (RFC 6749 §5.1–5.2,
/// RFC 9635 §3).
public enum GrantOutcome: Sendable {
    /// Tokens were issued and recorded: possibly fewer rights than asked (RFC 6749 §3.3 lets the AS
    /// issue less, RFC 9635 §3.2.1 likewise), with what was left out named.
    case granted(Granted)
    /// A person must decide first (RFC 9635 §3.3; the OAuth authorization endpoint's redirect).
    case needsInteraction(grantID: String)
    /// The client must supply more evidence and retry (draft-kahrer-oauth-client-challenge-protocol-00 §5).
    case needsClientEvidence(InsufficientClientAuthorization)
    /// Refused, for a door-neutral reason.
    case denied(Refusal)

    /// What was issued.
    public struct Granted: Sendable {
        /// The issued token set (access token, its type and lifetime, refresh token, ID token,
        /// `issued_token_type`), recorded in the ledger before this is returned.
        public var tokens: TokenResponse
        /// Simple rights asked for and not granted.
        public var dropped: [String]
    }
}
