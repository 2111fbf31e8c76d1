public import Foundation
public import TesseraProtocol

/// Trust between domains (draft-ietf-oauth-identity-chaining §2): the peer authorization servers
/// we mint JWT authorization grants for and accept grants from, and the issuers whose JWTs we
/// accept as token-exchange subject tokens (RFC 8693 §2.1).
public struct TrustConfiguration: Sendable {
    /// A name for our own trust domain (informational: logs, the demo).
    public var domain: String?
    /// Lifetime of the JWT authorization grants we mint (identity chaining §5.5: short).
    public var grantLifetime: TimeInterval = 60
    /// The longest lifetime (`exp` − now, and `exp` − `iat`) we accept in a peer's grant (RFC 7523 §3 item 4).
    public var maximumGrantLifetime: TimeInterval = 300
    /// Allowed clock difference for `exp`, `nbf` and `iat` of grants and subject tokens.
    public var clockSkew: TimeInterval = 60
    /// The shortest time between two fetches of a peer's `jwks_uri` when a grant names an unknown `kid`.
    public var jwksRefetchInterval: TimeInterval = 30
    public var peers: [Peer] = []
    public var subjectTokenIssuers: [SubjectTokenIssuer] = []
    /// Clients that may exchange a subject token not issued to them without an actor token
    /// (impersonation, RFC 8693 §1.1). Empty by default: nobody may.
    public var impersonationClients: Set<String> = []
    /// Clients that may present their own actor token for a subject token not issued to them and
    /// without a matching `may_act` (delegation, RFC 8693 §1.1 and §4.4).
    public var delegationClients: Set<String> = []
    /// `chaining.policy_file`: a Cedar policy over incoming grants (which peers may receive which
    /// scopes) in its old vocabulary, translated into the one decision point's (``PolicyTranslation``).
    public var policy: ChainingPolicy?
    /// Lifetime of the ID-JAGs we mint (draft-ietf-oauth-identity-assertion-authz-grant §4.3.4; at most 300 s).
    public var idJAGLifetime: TimeInterval = 300
    /// `chaining.id_jag_policy_file`: Cedar in its old ID-JAG vocabulary deciding which clients get
    /// ID-JAGs for which peers, resources and scopes, translated into the one decision point's;
    /// `nil` = the peers' ``IDJAGTrust`` settings decide, translated into policies (``ConfiguredPolicies``).
    public var idJAGPolicy: ChainingPolicy?

    public init() {}

    /// The policy files translated into the one vocabulary (``PolicyTranslation``), one layer each.
    public var translatedPolicies: [TranslatedPolicies] {
        [policy?.translated(as: .peerGrants), idJAGPolicy?.translated(as: .idJAG)].compactMap { $0 }
    }

    /// A peer authorization server in another trust domain.
    public struct Peer: Sendable {
        /// A short name, used in policies (`Peer::"name"`) and logs.
        public var name: String
        /// The peer's issuer identifier (RFC 8414 §2): the `aud` of grants we mint for it, and the
        /// `iss` of grants it mints for us.
        public var issuer: String
        /// The peer's public keys, given statically…
        public var jwks: PublicJWKSet?
        /// …or fetched from its JWK Set URL (cached, refetched on an unknown `kid`).
        public var jwksURI: String?
        /// …or found through its metadata document (RFC 8414 §3): the document's `issuer` must equal
        /// ``issuer`` (RFC 8414 §3.3), its `jwks_uri` is then used as above.
        public var metadataURL: String?
        /// The `resource`/`audience` values that name this peer in a token exchange request.
        /// Defaults to the issuer.
        public var audiences: [String]
        /// The algorithms the peer may sign grants with.
        public var algorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric
        /// The most a grant from this peer can yield here; `nil` = no cap beyond the client's scopes.
        public var scopes: Scope?
        /// Claims transcription for grants we mint for this peer.
        public var outbound = ClaimsTranscription()
        /// Claims transcription for this peer's grants redeemed here.
        public var inbound = ClaimsTranscription()
        /// When set, we redeem the grants we mint for this peer ourselves and hand our client the
        /// peer's access token (identity chaining Appendix B.2, "authorization server acting as client").
        public var redeem: Redemption?
        /// ID-JAGs exchanged with this peer (draft-ietf-oauth-identity-assertion-authz-grant): we mint
        /// them for it as a resource AS, and redeem its own when we know its keys. `nil` = neither.
        public var idJAG: IDJAGTrust?

        /// How we redeem our grants at a peer, as its OAuth client.
        public struct Redemption: Sendable {
            /// How we authenticate to the peer's token endpoint.
            public enum Authentication: Sendable {
                /// RFC 7523 §2.2, signed with our own signing key (the peer knows our `jwks_uri`).
                case privateKeyJWT
                /// RFC 6749 §2.3.1.
                case clientSecretBasic(secret: String)
            }

            /// Our client ID at the peer.
            public var clientID: String
            /// The peer's token endpoint; `nil` = the `token_endpoint` of its metadata (``Peer/metadataURL``).
            public var tokenEndpoint: String?
            public var authentication: Authentication

            public init(clientID: String, tokenEndpoint: String? = nil, authentication: Authentication) {
                self.clientID = clientID
                self.tokenEndpoint = tokenEndpoint
                self.authentication = authentication
            }
        }

        public init(name: String, issuer: String, audiences: [String] = []) {
            self.name = name
            self.issuer = issuer
            self.audiences = audiences.isEmpty ? [issuer] : audiences
        }

        /// Whether we accept grants from this peer (we know its keys).
        public var acceptsGrants: Bool { jwks != nil || jwksURI != nil || metadataURL != nil }
    }

    /// An issuer whose JWTs (`jwt`, `id_token`) are accepted as subject or actor tokens.
    public struct SubjectTokenIssuer: Sendable {
        public var issuer: String
        public var jwks: PublicJWKSet?
        public var jwksURI: String?
        /// …or its metadata document (RFC 8414 §3 / OpenID Connect Discovery), whose `issuer` must equal ``issuer``.
        public var metadataURL: String?
        /// Accepted `aud` values; empty = our issuer identifier or token endpoint.
        public var audiences: [String] = []
        public var algorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric

        public init(issuer: String) { self.issuer = issuer }
    }

    /// The peer a `resource` or `audience` value names, if any.
    func peer(forTarget target: String) -> Peer? { peers.first { $0.audiences.contains(target) } }

    /// The peer whose grants carry this `iss`, if we accept its grants.
    func peer(forIssuer issuer: String) -> Peer? { peers.first { $0.issuer == issuer && $0.acceptsGrants } }

    /// The trusted subject-token issuer with this `iss`, if any.
    func subjectTokenIssuer(_ issuer: String) -> SubjectTokenIssuer? { subjectTokenIssuers.first { $0.issuer == issuer } }

    /// Whether any peer's grants are accepted (the jwt-bearer grant is offered).
    public var acceptsGrants: Bool { peers.contains(where: \.acceptsGrants) }

    /// The token types a chaining token exchange may request (identity chaining §3): a JWT
    /// authorization grant, and — when some peer's grants are redeemed here — the peer's access token;
    /// neither for a peer with an `id_jag:` block, which gets ID-JAGs only.
    public var chainingTokenTypes: [String] {
        let chaining = peers.filter { $0.idJAG == nil }
        var types: [String] = chaining.isEmpty ? [] : [TokenTypeIdentifier.jwt]
        if chaining.contains(where: { $0.redeem != nil }) { types.append(TokenTypeIdentifier.accessToken) }
        // draft-ietf-oauth-identity-assertion-authz-grant §7.1: an IdP lists the ID-JAG token type.
        if peers.contains(where: { $0.idJAG != nil }) { types.append(TokenTypeIdentifier.idJAG) }
        return types
    }
}
