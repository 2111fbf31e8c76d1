/// What a client holds that entitles it to a token beyond its own registration (the "authorization
/// grant" of RFC 6749 §1.3, in each door's form). The OAuth door translates `grant_type` and its
/// parameters into one of these; the GNAP door's interaction result and continuation are the GNAP
/// counterparts. Members the evidence's own check validates stay optional, so that check (not the
/// door) says what is missing, in its order.
public enum Evidence: Sendable, Hashable {
    /// Nothing but the client itself (RFC 6749 §4.4 client credentials; a GNAP instance acting for itself).
    case client
    /// An authorization code with its redirect URI and PKCE verifier (RFC 6749 §4.1.3, RFC 7636 §4.5).
    case authorizationCode(code: String, redirectURI: String?, verifier: String?)
    /// A refresh token (RFC 6749 §6).
    case refreshToken(String)
    /// A subject token and, optionally, an actor token (RFC 8693 §2.1).
    case subjectToken(SubjectToken)
    /// A JWT authorization grant (RFC 7523 §2.1) or an identity assertion JWT authorization grant
    /// (draft-ietf-oauth-identity-assertion-authz-grant §4.4).
    case jwtGrant(assertion: String)
    /// A GNAP interaction's result: the `interact_ref` of a finished interaction (RFC 9635 §5.1).
    case interactionResult(interactRef: String)
    /// A GNAP continuation of an existing grant (RFC 9635 §5): polling or modification.
    case continuation(grantID: String)
    /// A GNAP access token's management URI, proven with its management token (RFC 9635 §6.1): the token is rotated.
    case managedToken(manageID: String)
    /// An access token issued here, presented by the resource server it was meant for to derive a token for a
    /// downstream one (RFC 9767 §4 `existing_access_token`).
    case existingToken(String)
    /// Evidence of an extension grant type this engine does not know; refused as unsupported.
    case unsupported(String)

    /// RFC 8693 §2.1's token parameters, as sent.
    public struct SubjectToken: Sendable, Hashable {
        public var token: String?
        public var tokenType: String?
        public var actorToken: String?
        public var actorTokenType: String?
        /// `requested_token_type`: an access token, or an ID-JAG (a profile of its own).
        public var requestedTokenType: String?
    }
}

/// An answer to a client challenge (draft-kahrer-oauth-client-challenge-protocol-00 §6): the session
/// the challenge opened and the evidence for it. It accompanies any other evidence on the retry.
public struct ClientChallengeAnswer: Sendable, Hashable {
    public var session: String
    public var evidence: String?
}
