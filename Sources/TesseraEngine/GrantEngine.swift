public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// The grant engine: one entry point per operation, answering both front doors (ARCHITECTURE
/// "two front doors, one engine"). No HTTP types: the server extracts credentials and form
/// parameters, calls the engine and encodes the outcome.
///
/// Protocol refusals are thrown as ``OAuthError``; anything else thrown is an infrastructure failure.
public struct GrantEngine: Sendable {
    public struct Configuration: Sendable {
        /// Our issuer identifier (RFC 8414 §2): also the default token audience.
        public var issuer: String
        public var tokenEndpoint: String
        public var accessTokenLifetime: TimeInterval = 3600
        public var refreshTokenLifetime: TimeInterval = 30 * 86_400
        /// The `authorization_details` types this AS knows (RFC 9396 §2); none by default.
        public var authorizationDetailsTypes: [AuthorizationDetailsType] = []
        /// Every client must push its authorization requests (RFC 9126 §5).
        public var requirePushedAuthorizationRequests = false
        /// How long ID tokens are valid (OpenID Connect Core §2 `exp`).
        public var idTokenLifetime: TimeInterval = 300
        /// Clients whose requests must carry `resource` (RFC 8707 §2); nobody by default.
        public var resourceIndicators = ResourceIndicatorRequirement()
        /// The owner's Cedar policies beside (or instead of) the shipped defaults (docs/policy.md).
        public var ownerPolicy: OwnerPolicy?

        public init(issuer: String, tokenEndpoint: String) {
            self.issuer = issuer
            self.tokenEndpoint = tokenEndpoint
        }
    }

    public let configuration: Configuration
    public let stores: Stores
    public let keyRing: KeyRing
    public let authenticator: ClientAuthenticator
    /// The GNAP front door (RFC 9635, RFC 9767) on the same issuer, keys and stores.
    public let gnap: GNAPService
    /// Trust in other domains: token exchange targets, peers' grants (identity chaining).
    public let trust: TrustConfiguration
    /// Client challenges (draft-kahrer-oauth-client-challenge-protocol-00), when a policy is configured.
    public var challenges: ClientChallengeService?
    /// DPoP proof verification for the token endpoint (RFC 9449 §5).
    public let dpop: DPoPService
    /// The OAuth authorization endpoint and pushed requests (RFC 6749 §4.1, RFC 9126).
    public internal(set) var authorization: AuthorizationCodeService
    /// "Is this our active access token, with what rights", for every door (issue 19).
    public let ledger: TokenLedger
    /// The one decision point both doors ask (docs/policy.md).
    public let decisions: DecisionPoint
    let context: GrantContext
    let handlers: [GrantType: any EvidenceHandler]
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - configuration: issuer, lifetimes, RAR types, owner policy.
    ///   - database: the engine's database (``EngineDatabase``).
    ///   - keyRing: the signing keys (``EngineDatabase/keyRing(configuration:now:)``).
    ///   - jwksFetcher: fetches clients' `jwks_uri` key sets (under the outbound guard).
    ///   - peerJWKSFetcher: fetches trusted peer authorization servers' key sets.
    ///   - peerTokenClient: asks peers for tokens (identity chaining).
    ///   - learnedPeerFetcher: fetches the `jwks_uri` and posts to the `token_endpoint` that a peer's metadata names at
    ///     another origin than its metadata URL, under the outbound guard (``LearnedPeerURL``); `nil`: key sets with
    ///     `jwksFetcher`, and such token endpoints are not used.
    ///   - gnap: the GNAP door's settings.
    ///   - trust: trust in other domains.
    ///   - metadataClients: clients met by metadata document URL, when enabled.
    ///   - dpop: DPoP proof settings.
    ///   - now: the clock.
    public init(
        configuration: Configuration,
        database: EngineDatabase,
        keyRing: KeyRing,
        jwksFetcher: any JWKSFetcher,
        peerJWKSFetcher: (any JWKSFetcher)? = nil,
        peerTokenClient: (any PeerTokenClient)? = nil,
        learnedPeerFetcher: (any JWKSFetcher & PeerTokenClient)? = nil,
        gnap: GNAPConfiguration = .init(),
        trust: TrustConfiguration = .init(),
        metadataClients: ClientMetadataResolver? = nil,
        dpop: DPoPConfiguration = .init(),
        now: @escaping @Sendable () -> Date
    ) {
        let stores = database.stores
        self.trust = trust
        self.configuration = configuration
        self.stores = stores
        self.keyRing = keyRing
        self.now = now
        self.authenticator = ClientAuthenticator(
            configuration: .init(issuer: configuration.issuer, tokenEndpoint: configuration.tokenEndpoint),
            clients: stores.clients,
            replay: stores.replay,
            keyCache: ClientKeyCache(fetcher: jwksFetcher, now: now),
            metadataClients: metadataClients,
            now: now
        )
        // Compiled and indexed once: every request only evaluates (docs/policy.md, "Performance").
        let decisions = DecisionPoint(
            owner: configuration.ownerPolicy,
            issuer: configuration.issuer,
            configured: ConfiguredPolicies.text(trust: trust, resourceOwners: gnap.interaction.resourceOwners),
            translated: trust.translatedPolicies
        )
        self.decisions = decisions
        var issuerConfiguration = TokenIssuer.Configuration(issuer: configuration.issuer)
        issuerConfiguration.accessTokenLifetime = configuration.accessTokenLifetime
        issuerConfiguration.refreshTokenLifetime = configuration.refreshTokenLifetime
        issuerConfiguration.idTokenLifetime = configuration.idTokenLifetime
        issuerConfiguration.authorizationGrantLifetime = trust.grantLifetime
        issuerConfiguration.idJAGLifetime = trust.idJAGLifetime
        self.context = GrantContext(
            issuer: TokenIssuer(configuration: issuerConfiguration, keyRing: keyRing, ledger: stores.tokens, now: now),
            tokens: stores.tokens,
            defaultAudience: [configuration.issuer],
            resourceIndicators: configuration.resourceIndicators,
            authorizationDetails: AuthorizationDetailsProcessor(types: configuration.authorizationDetailsTypes, now: now),
            decisions: decisions,
            now: now
        )
        self.dpop = DPoPService(configuration: dpop, replay: stores.replay, now: now)
        let ledger = TokenLedger(issuer: configuration.issuer, keyRing: keyRing, stores: stores, now: now)
        self.ledger = ledger
        self.gnap = GNAPService(
            configuration: gnap,
            issuerID: configuration.issuer,
            stores: stores,
            issuer: context.issuer,
            ledger: ledger,
            authorizationDetails: context.authorizationDetails,
            decisions: decisions,
            now: now
        )
        var authorizationConfiguration = AuthorizationCodeService.Configuration(issuer: configuration.issuer)
        authorizationConfiguration.requirePushedAuthorizationRequests = configuration.requirePushedAuthorizationRequests
        self.authorization = AuthorizationCodeService(
            configuration: authorizationConfiguration,
            stores: stores,
            authenticator: authenticator,
            resourceCheck: context.resourceCheck,
            authorizationDetails: context.authorizationDetails,
            scopeCheck: context.scopeCheck,
            now: now
        )
        var handlers: [any EvidenceHandler] = [ClientCredentialsGrant(), RefreshTokenGrant()]
        handlers.append(AuthorizationCodeGrant(store: stores.authorizationCodes))
        handlers += Self.chainingHandlers(
            configuration: configuration,
            trust: trust,
            stores: stores,
            issuer: context.issuer,
            keyRing: keyRing,
            ledger: ledger,
            fetcher: peerJWKSFetcher ?? jwksFetcher,
            learned: Learned(keys: learnedPeerFetcher ?? jwksFetcher, tokens: learnedPeerFetcher),
            peerTokenClient: peerTokenClient,
            now: now
        )
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.grantType, $0) })
    }

    /// Whether a `client_id` that is a URL is resolved as a Client ID Metadata Document.
    public var acceptsClientMetadataDocuments: Bool { authenticator.metadataClients != nil }

    /// The grant types this engine can answer, for metadata.
    public var supportedGrantTypes: [GrantType] { handlers.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The `authorization_details` types known, for `authorization_details_types_supported` (RFC 9396 §10).
    public var authorizationDetailsTypes: [String] { context.authorizationDetails.supportedTypes }

    // MARK: - Token endpoint (RFC 6749 §3.2)

    /// The OAuth door of the token endpoint (RFC 6749 §3.2): translates the form into an
    /// ``AccessRequest``, asks ``answer(_:from:)``, and words the outcome as a token response or an
    /// OAuth error. The response is returned only after its tokens are durably recorded.
    /// - Parameters:
    ///   - form: the request's form parameters.
    ///   - credentials: the client authentication presented.
    ///   - dpopProofs: every `DPoP` header value of the request (RFC 9449 §5). A verified proof is the
    ///     client's ``ClientIdentity/provenKey``, so whatever the grant type, its tokens are bound to that key.
    /// - Returns: The token response, after its tokens are recorded.
    /// - Throws: ``OAuthError`` with the RFC 6749 §5.2 code, ``InsufficientClientAuthorization`` for a
    ///   client challenge; store failures propagate.
    public func token(form: FormParameters, credentials: ClientCredentials, dpopProofs: [String] = []) async throws -> TokenResponse {
        guard let grantType = form["grant_type"] else { throw OAuthError.invalidRequest("missing required parameter 'grant_type'") }
        let details = try form["authorization_details"].map { text throws(OAuthError) in try AuthorizationDetailsProcessor.parse(text) }
        let client = try await authenticator.authenticate(credentials, allowPublic: true)
        let proven = try await dpop.confirmation(headerValues: dpopProofs, method: "POST", uri: configuration.tokenEndpoint)
        let request = try AccessRequest(
            oauth: form,
            grantType: GrantType(rawValue: grantType),
            authorizationDetails: details
        )
        switch try await answer(request, from: ClientIdentity(.oauth(client), provenKey: proven?.jkt.map(ProvenKey.init(dpop:)))) {
        case .granted(let granted): return granted.oauth
        case .needsClientEvidence(let challenge): throw challenge
        case .denied(let refusal): throw refusal.oauth
        case .needsInteraction: throw OAuthError.serverError("the token endpoint cannot wait for a person")
        }
    }

    // MARK: - Introspection (RFC 7662)

    /// Introspects a token for an authenticated confidential client.
    ///
    /// The AS authorizes the caller (RFC 7662 §4): an access token is described only to a resource
    /// server registered for one of its audiences (`introspection_audiences`), or to the OAuth client
    /// it was issued to; a refresh token only to the client it was issued to. Anything else — unknown,
    /// expired, revoked, not ours, or not the caller's business — is `{"active": false}` (RFC 7662 §2.2).
    /// GNAP tokens answer as OAuth ones do, their rights as `authorization_details` and `scope` (issue 19).
    public func introspect(token: String, hint: TokenTypeHint?, credentials: ClientCredentials) async throws -> IntrospectionResponse {
        let caller = try await authenticator.authenticate(credentials, allowPublic: false)
        let now = now()
        let party = AccessQuestion.Party(oauth: caller.record)
        if let entry = try await ledger.entry(for: token), entry.active,
            mayIntrospect(
                IntrospectionQuestion(
                    party: party,
                    scopes: entry.scope.tokens,
                    audiences: entry.audience,
                    tokenType: "access_token",
                    holder: entry.holder.oauthClientID,
                    user: entry.subject == entry.holder.claimedClientID ? nil : entry.subject
                )
            )
        {
            let scope = entry.scope
            // The binding gives the type (RFC 9449 §6.2 for DPoP) and `cnf`; the RS checks the proof.
            var answer = IntrospectionResponse(
                active: true,
                scope: scope.isEmpty ? nil : scope.description,
                clientID: entry.holder.claimedClientID,
                tokenType: entry.binding.tokenType,
                exp: Int(entry.expiresAt.timeIntervalSince1970),
                iat: Int(entry.issuedAt.timeIntervalSince1970),
                sub: entry.subject,
                aud: entry.audience,
                iss: configuration.issuer,
                jti: entry.jti
            )
            answer.cnf = entry.confirmation
            // A resource server is shown the entries meant for it: another RS's `locations` are none of its business,
            // as at GNAP's introspection (RFC 9396 §9.1, RFC 9767 §3.3, §6.8); the token's own client sees them all.
            var details = entry.authorizationDetails
            if entry.holder.oauthClientID != caller.record.id {
                let audiences = Set(caller.record.introspectionAudiences)
                details = details.filter { entry in
                    guard case .object(let members) = entry, members["locations"] != nil else { return true }
                    return ResourceCheck.locations(of: [entry]).contains(where: audiences.contains)
                }
            }
            answer.authorizationDetails = details.isEmpty ? nil : details
            return answer
        }
        if let refresh = try await stores.tokens.refreshToken(hash: TokenIssuer.hashToken(token)), refresh.isActive(at: now),
            mayIntrospect(
                IntrospectionQuestion(
                    party: party,
                    scopes: refresh.scope.split(separator: " ").map(String.init),
                    audiences: refresh.audience,
                    tokenType: "refresh_token",
                    holder: refresh.clientID,
                    user: refresh.subject == refresh.clientID ? nil : refresh.subject
                )
            )
        {
            return IntrospectionResponse(
                active: true,
                scope: refresh.scope.isEmpty ? nil : refresh.scope,
                clientID: refresh.clientID,
                tokenType: "refresh_token",
                exp: Int(refresh.expiresAt.timeIntervalSince1970),
                iat: Int(refresh.issuedAt.timeIntervalSince1970),
                sub: refresh.subject,
                aud: refresh.audience,
                iss: configuration.issuer
            )
        }
        return .inactive
    }

    /// Whether the caller may learn what a token carries (RFC 7662 §4): the one decision point's
    /// `Action::"introspect"` (by default a resource server for one of its audiences, or the OAuth
    /// client it was issued to — never a GNAP instance's namesake; docs/policy.md).
    func mayIntrospect(_ question: IntrospectionQuestion) -> Bool {
        decisions.decide(question).verdict == .permitted
    }
}
