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
    public let authorization: AuthorizationCodeService
    let context: GrantContext
    let handlers: [GrantType: any GrantHandler]
    let now: @Sendable () -> Date

    public init(
        configuration: Configuration,
        stores: Stores,
        keyRing: KeyRing,
        jwksFetcher: any JWKSFetcher,
        peerJWKSFetcher: (any JWKSFetcher)? = nil,
        peerTokenClient: (any PeerTokenClient)? = nil,
        gnap: GNAPConfiguration = .init(),
        trust: TrustConfiguration = .init(),
        metadataClients: ClientMetadataResolver? = nil,
        dpop: DPoPConfiguration = .init(),
        now: @escaping @Sendable () -> Date
    ) {
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
        var issuerConfiguration = TokenIssuer.Configuration(issuer: configuration.issuer)
        issuerConfiguration.accessTokenLifetime = configuration.accessTokenLifetime
        issuerConfiguration.refreshTokenLifetime = configuration.refreshTokenLifetime
        self.context = GrantContext(
            issuer: TokenIssuer(configuration: issuerConfiguration, keyRing: keyRing, now: now),
            tokens: stores.tokens,
            defaultAudience: [configuration.issuer],
            authorizationDetails: AuthorizationDetailsProcessor(types: configuration.authorizationDetailsTypes, now: now),
            now: now
        )
        self.dpop = DPoPService(configuration: dpop, replay: stores.replay, now: now)
        self.gnap = GNAPService(
            configuration: gnap, issuerID: configuration.issuer, stores: stores, issuer: context.issuer, keyRing: keyRing,
            authorizationDetails: context.authorizationDetails, now: now
        )
        var authorizationConfiguration = AuthorizationCodeService.Configuration(issuer: configuration.issuer)
        authorizationConfiguration.requirePushedAuthorizationRequests = configuration.requirePushedAuthorizationRequests
        self.authorization = AuthorizationCodeService(
            configuration: authorizationConfiguration,
            stores: stores,
            authenticator: authenticator,
            resourceCheck: context.resourceCheck,
            authorizationDetails: context.authorizationDetails,
            now: now
        )
        let idTokens = IDTokenIssuer(issuer: configuration.issuer, keyRing: keyRing, lifetime: configuration.idTokenLifetime, now: now)
        var handlers: [any GrantHandler] = [ClientCredentialsGrant(), RefreshTokenGrant()]
        handlers.append(AuthorizationCodeGrant(store: stores.authorizationCodes, idTokens: idTokens))
        handlers += Self.chainingHandlers(configuration: configuration, trust: trust, stores: stores, keyRing: keyRing, fetcher: peerJWKSFetcher ?? jwksFetcher, peerTokenClient: peerTokenClient, now: now)
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.grantType, $0) })
    }

    /// Whether a `client_id` that is a URL is resolved as a Client ID Metadata Document.
    public var acceptsClientMetadataDocuments: Bool { authenticator.metadataClients != nil }

    /// The grant types this engine can answer, for metadata.
    public var supportedGrantTypes: [GrantType] { handlers.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The `authorization_details` types known, for `authorization_details_types_supported` (RFC 9396 §10).
    public var authorizationDetailsTypes: [String] { context.authorizationDetails.supportedTypes }

    // MARK: - Token endpoint (RFC 6749 §3.2)

    /// Answers a token request. The response is returned only after its tokens are durably recorded.
    /// - Parameter dpopProofs: every `DPoP` header value of the request (RFC 9449 §5). A verified
    ///   proof fills ``TokenRequest/confirmation``, so whatever the grant type, its tokens are bound to that key.
    public func token(form: FormParameters, credentials: ClientCredentials, dpopProofs: [String] = []) async throws -> TokenResponse {
        var request = try TokenRequest(form: form)
        let client = try await authenticator.authenticate(credentials, allowPublic: true)
        request.confirmation = try await dpop.confirmation(headerValues: dpopProofs, method: "POST", uri: configuration.tokenEndpoint)
        guard let handler = handlers[request.grantType] else {
            throw OAuthError.unsupportedGrantType("grant_type '\(FormParameters.printableValue(request.grantType.rawValue))' is not supported")
        }
        guard client.record.grantTypes.contains(request.grantType) else {
            throw OAuthError.unauthorizedClient("this client is not allowed to use grant_type \(request.grantType)")
        }
        if let challenges { try await challenges.admit(request, client: client) }
        return try await handler.handle(request, client: client, context: context)
    }

    // MARK: - Introspection (RFC 7662)

    /// Introspects a token for an authenticated confidential client.
    ///
    /// The AS authorizes the caller (RFC 7662 §4): an access token is described only to a resource
    /// server registered for one of its audiences (`introspection_audiences`), or to the OAuth client
    /// it was issued to; a refresh token only to the client it was issued to. Anything else — unknown,
    /// expired, revoked, not ours, or not the caller's business — is `{"active": false}` (RFC 7662 §2.2).
    public func introspect(token: String, hint: TokenTypeHint?, credentials: ClientCredentials) async throws -> IntrospectionResponse {
        let caller = try await authenticator.authenticate(credentials, allowPublic: false)
        let now = now()
        if let (access, claims) = try await accessToken(token), access.isActive(at: now), try await mayIntrospect(access, caller: caller) {
            // A DPoP-bound token reports its key and type (RFC 9449 §6.2); the RS checks the proof.
            var answer = IntrospectionResponse(
                active: true,
                scope: access.scope.isEmpty ? nil : access.scope,
                clientID: access.clientID,
                tokenType: claims.cnf?.jkt == nil ? "Bearer" : "DPoP",
                exp: Int(access.expiresAt.timeIntervalSince1970),
                iat: Int(access.issuedAt.timeIntervalSince1970),
                sub: access.subject,
                aud: access.audience,
                iss: configuration.issuer,
                jti: access.jti
            )
            answer.cnf = claims.cnf
            answer.authorizationDetails = claims.authorizationDetails
            return answer
        }
        if let refresh = try await stores.tokens.refreshToken(hash: TokenIssuer.hashToken(token)), refresh.isActive(at: now),
            refresh.clientID == caller.id
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

    // MARK: - Revocation (RFC 7009)

    /// Revokes an access or refresh token of the calling client. Unknown tokens succeed silently
    /// (RFC 7009 §2.2); revoking a refresh token revokes every token of its grant.
    /// - Throws: ``OAuthError`` `unauthorized_client` when the token belongs to another client.
    public func revoke(token: String, hint: TokenTypeHint?, credentials: ClientCredentials) async throws {
        let caller = try await authenticator.authenticate(credentials, allowPublic: true)
        let now = now()
        if let refresh = try await stores.tokens.refreshToken(hash: TokenIssuer.hashToken(token)) {
            guard refresh.clientID == caller.id else { throw OAuthError.unauthorizedClient("the token was not issued to this client") }
            try await stores.tokens.revokeGrant(id: refresh.grantID, at: now)
            return
        }
        if let (access, _) = try await accessToken(token) {
            guard access.clientID == caller.id else { throw OAuthError.unauthorizedClient("the token was not issued to this client") }
            try await stores.tokens.revokeAccessToken(jti: access.jti, at: now)
        }
    }

    /// Whether `caller` may learn what `access` carries (RFC 7662 §4): a resource server for one of its
    /// audiences, or the OAuth client it was issued to. A GNAP token's `client_id` names a GNAP
    /// instance or key, not an OAuth client, so for those only the resource-server rule applies.
    func mayIntrospect(_ access: AccessTokenRecord, caller: AuthenticatedClient) async throws -> Bool {
        if !caller.record.introspectionAudiences.isEmpty, !Set(access.audience).isDisjoint(with: caller.record.introspectionAudiences) {
            return true
        }
        guard ConstantTime.equals(Array(access.clientID.utf8), Array(caller.id.utf8)) else { return false }
        return try await stores.gnap.token(jti: access.jti) == nil
    }

    /// The record and verified claims of an access token this server signed.
    func accessToken(_ token: String) async throws -> (AccessTokenRecord, AccessTokenClaims)? {
        guard token.utf8.count <= CompactJWS.maximumSize, token.split(separator: ".", omittingEmptySubsequences: false).count == 3,
            let jws = try? CompactJWS(parsing: token)
        else { return nil }
        guard (try? await keyRing.verifyOwnToken(jws, expectedType: AccessTokenClaims.type, issuer: configuration.issuer)) != nil,
            let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: jws.payload), claims.iss == configuration.issuer
        else { return nil }
        return try await stores.tokens.accessToken(jti: claims.jti).map { ($0, claims) }
    }
}
