public import Foundation
public import TesseraProtocol

/// What a resource server learns from a valid access token (RFC 9068 §2.2, RFC 7662 §2.2):
/// the value ``OAuthResourceServer`` hands the application.
public struct VerifiedAccessToken: Sendable, Hashable {
    /// How the token was presented and is bound.
    public enum Kind: String, Sendable, Hashable {
        /// `Authorization: Bearer` (RFC 6750).
        case bearer = "Bearer"
        /// `Authorization: DPoP` with a proof from the bound key (RFC 9449 §7).
        case dpop = "DPoP"
    }

    public var kind: Kind
    public var issuer: String
    /// The resource owner, or the client itself for `client_credentials` (RFC 9068 §2.2).
    public var subject: String
    public var clientID: String?
    public var scopes: Scope
    public var audience: [String]
    public var expiresAt: Date
    public var jti: String?
    /// The current actor; earlier ones nest inside (RFC 8693 §4.1).
    public var actor: ActorClaim?
    /// Rich authorization details granted (RFC 9396 §9).
    public var authorizationDetails: [JSONValue]?
    /// The key the token is bound to (RFC 7800 §3.1, RFC 9449 §6).
    public var confirmation: Confirmation?

    public init(
        kind: Kind,
        issuer: String,
        subject: String,
        clientID: String?,
        scopes: Scope,
        audience: [String],
        expiresAt: Date,
        jti: String?,
        actor: ActorClaim? = nil,
        authorizationDetails: [JSONValue]? = nil,
        confirmation: Confirmation? = nil
    ) {
        self.kind = kind
        self.issuer = issuer
        self.subject = subject
        self.clientID = clientID
        self.scopes = scopes
        self.audience = audience
        self.expiresAt = expiresAt
        self.jti = jti
        self.actor = actor
        self.authorizationDetails = authorizationDetails
        self.confirmation = confirmation
    }

    /// Every actor from the current one back to the first (empty when nobody acts for the subject).
    public var actorChain: [ActorClaim] { actor?.chain ?? [] }

    /// Whether every scope in `required` was granted.
    public func hasScopes(_ required: Scope) -> Bool { required.isSubset(of: scopes) }
}
