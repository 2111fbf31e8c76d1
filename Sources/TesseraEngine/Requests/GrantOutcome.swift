public import TesseraProtocol

/// The engine's answer to an ``AccessRequest``, before any door words it (RFC 6749 §5.1–5.2,
/// RFC 9635 §3).
public enum GrantOutcome: Sendable {
    /// Tokens were issued and recorded: possibly fewer rights than asked (RFC 6749 §3.3 lets the AS
    /// issue less, RFC 9635 §3.2.1 likewise), with what was left out named.
    case granted(Granted)
    /// A person must decide first (RFC 9635 §3.3; the OAuth authorization endpoint's redirect): the
    /// grant waiting for them was recorded, with the interaction a modification started (§5.3).
    case needsInteraction(grantID: String, interaction: [String: JSONValue]? = nil)
    /// The client must supply more evidence and retry (draft-kahrer-oauth-client-challenge-protocol-00 §5).
    case needsClientEvidence(InsufficientClientAuthorization)
    /// Refused, for a door-neutral reason.
    case denied(Refusal)

    /// What was issued, in neither door's wire shape: the OAuth door renders it as a token response
    /// (RFC 6749 §5.1, ``oauth``), the GNAP door as `access_token` members (RFC 9635 §3.2).
    public struct Granted: Sendable {
        /// The tokens issued, in the order asked, recorded in the ledger before this is returned.
        public var tokens: [IssuedToken]
        /// Simple rights asked for and not granted.
        public var dropped: [String] = []
        /// The grant the tokens belong to, when the door continues it (RFC 9635 §5).
        public var grantID: String?
    }

    /// One minted token, whatever door asked for it.
    public struct IssuedToken: Sendable, Hashable {
        /// A management handle (RFC 9635 §6): the id in its URI and its access token.
        public struct Management: Sendable, Hashable {
            public var id: String
            public var token: String
        }

        /// The token value.
        public var value: String
        /// How it is presented: `Bearer`, `DPoP` (RFC 9449 §5), `N_A` for a grant (RFC 8693 §2.2.1),
        /// or `GNAP` for a token bound to the GNAP client key (RFC 9635 §7.2).
        public var tokenType: String
        /// Seconds until it expires.
        public var expiresIn: Int?
        /// The simple rights granted (RFC 6749 §3.3).
        public var scope: String?
        /// The RFC 9396 entries granted (§7).
        public var authorizationDetails: [JSONValue]?
        /// The GNAP rights granted (RFC 9635 §8).
        public var access: [GNAPAccessRight] = []
        /// The label the client gave the token (RFC 9635 §2.1.2).
        public var label: String?
        /// A refresh token issued with it (RFC 6749 §1.5).
        public var refreshToken: String?
        /// An ID token issued with it (OpenID Connect Core §3.1.3.3).
        public var idToken: String?
        /// The kind of token issued (RFC 8693 §2.2.1), for token exchange.
        public var issuedTokenType: String?
        public var management: Management?

        /// Whether the token is a bearer token (RFC 6750), not bound to a key.
        public var isBearer: Bool { tokenType.lowercased() == "bearer" }
    }
}

extension GrantOutcome.IssuedToken {
    /// A token described by an OAuth evidence check's response.
    /// - Parameter response: the token response.
    init(oauth response: TokenResponse) {
        value = response.accessToken
        tokenType = response.tokenType
        expiresIn = response.expiresIn
        scope = response.scope
        authorizationDetails = response.authorizationDetails
        refreshToken = response.refreshToken
        idToken = response.idToken
        issuedTokenType = response.issuedTokenType
    }
}

extension GrantOutcome.Granted {
    /// The OAuth door's rendering (RFC 6749 §5.1): the one token issued, as a token response.
    public var oauth: TokenResponse {
        guard let token = tokens.first else { return TokenResponse(accessToken: "", tokenType: "Bearer", expiresIn: nil) }
        var response = TokenResponse(
            accessToken: token.value,
            tokenType: token.tokenType,
            expiresIn: token.expiresIn,
            refreshToken: token.refreshToken,
            scope: token.scope,
            issuedTokenType: token.issuedTokenType,
            authorizationDetails: token.authorizationDetails
        )
        response.idToken = token.idToken
        return response
    }
}
