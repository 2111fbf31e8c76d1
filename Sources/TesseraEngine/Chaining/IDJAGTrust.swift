public import TesseraProtocol

/// What one peer and this server agree on for Identity Assertion JWT Authorization Grants
/// (draft-ietf-oauth-identity-assertion-authz-grant; MCP Enterprise-Managed Authorization §7.6).
///
/// The same settings serve both roles: as the IdP we mint ID-JAGs whose `aud` is the peer (a
/// resource AS); as the resource AS we redeem the peer's ID-JAGs (an IdP) when its keys are known.
public struct IDJAGTrust: Sendable, Hashable {
    /// The protected resources (RFC 8707) an ID-JAG between us and this peer may name: the
    /// (`audience`, `resource`) table the IdP keeps and the resources the resource AS accepts.
    /// Empty = ID-JAGs name no `resource`; listed = every ID-JAG names one or more of them, at both ends (an ID-JAG
    /// naming none is `invalid_target`, RFC 8707 §2: it would get the resource AS's default audience).
    public var resources: [String] = []
    /// The clients that may obtain ID-JAGs for this peer (a policy, ``ConfiguredPolicies``).
    public var clients: [String] = []
    /// The scopes and `authorization_details` types those ID-JAGs may carry (a policy, ``ConfiguredPolicies``).
    public var scopes = Scope([String]())
    /// Our clients' identifiers at the peer (draft §5, "client ID mapping"); a client not listed
    /// keeps its own identifier.
    public var clientIDs: [String: String] = [:]
    /// The sign-in an ID-JAG for this peer needs (`id_jag.step_up`); `nil` (the default) = the ID
    /// token's `auth_time` and `acr` are not checked. See ``IDJAGStepUp``.
    public var stepUp: AuthenticationRequirement?

    public init() {}

    /// The `typ` of an ID-JAG (draft §3.1; RFC 8725 §3.11).
    public static let type = "oauth-id-jag+jwt"
    /// The authorization grant profile a resource AS advertises (draft §7.2).
    public static let grantProfile = "urn:ietf:params:oauth:grant-profile:id-jag"
}

extension TrustConfiguration {
    /// The peer a token exchange `audience` names as an ID-JAG audience.
    func idJAGAudience(_ audience: String) -> Peer? { peers.first { $0.idJAG != nil && $0.audiences.contains(audience) } }

    /// The peer whose ID-JAGs (`iss`) we redeem: one with ``IDJAGTrust`` settings and known keys.
    func idJAGIssuer(_ issuer: String) -> Peer? { peers.first { $0.idJAG != nil && $0.issuer == issuer && $0.acceptsGrants } }

    /// Whether we redeem some peer's ID-JAGs (metadata `authorization_grant_profiles_supported`, draft §7.2).
    public var redeemsIDJAGs: Bool { peers.contains { $0.idJAG != nil && $0.acceptsGrants } }
}
