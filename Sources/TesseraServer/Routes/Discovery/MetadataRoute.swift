import Hummingbird
import TesseraEngine
import TesseraProtocol

/// Authorization server metadata (RFC 8414 §3) and the JWK Set (RFC 7517 §5).
struct MetadataRoute: Sendable {
    let engine: GrantEngine
    /// RFC 7591's endpoint when dynamic registration is on; `nil` leaves it out of the metadata.
    var registrationEndpoint: String? = nil

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get(RouterPath(Endpoints.metadata), use: metadata)
        router.get(RouterPath(Endpoints.openIDConfiguration), use: metadata)
        router.get(RouterPath(Endpoints.jwks), use: jwks)
    }

    @Sendable func metadata(_ request: Request, context: TesseraRequestContext) async -> Response {
        var document = Self.document(for: engine)
        document.registrationEndpoint = registrationEndpoint
        var response = OAuthResponses.json(document)
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    @Sendable func jwks(_ request: Request, context: TesseraRequestContext) async -> Response {
        var response = OAuthResponses.json(await engine.keyRing.jwks())
        response.headers[.contentType] = "application/jwk-set+json"
        response.headers[.cacheControl] = "public, max-age=60"
        return response
    }

    /// The metadata document: exactly the endpoints, grants, methods and algorithms that work.
    static func document(for engine: GrantEngine) -> AuthorizationServerMetadata {
        let base = engine.configuration.issuer.hasSuffix("/") ? String(engine.configuration.issuer.dropLast()) : engine.configuration.issuer
        var document = AuthorizationServerMetadata(
            issuer: engine.configuration.issuer,
            tokenEndpoint: base + Endpoints.token,
            jwksURI: base + Endpoints.jwks,
            introspectionEndpoint: base + Endpoints.introspection,
            revocationEndpoint: base + Endpoints.revocation,
            grantTypesSupported: engine.supportedGrantTypes.map(\.rawValue),
            responseTypesSupported: ["code"],
            scopesSupported: nil,
            tokenEndpointAuthMethodsSupported: ClientAuthenticationMethod.supported.map(\.rawValue),
            tokenEndpointAuthSigningAlgValuesSupported: JWSAlgorithm.asymmetric.map(\.rawValue).sorted(),
            accessTokenSigningAlgValuesSupported: SigningKeyGenerator.supportedAlgorithms.map(\.rawValue)
        )
        document.identityChainingRequestedTokenTypesSupported = engine.identityChainingTokenTypes
        document.authorizationGrantProfilesSupported = engine.authorizationGrantProfiles
        document.clientIDMetadataDocumentSupported = engine.acceptsClientMetadataDocuments
        document.dpopSigningAlgValuesSupported = engine.dpop.supportedAlgorithms
        let detailTypes = engine.authorizationDetailsTypes
        document.authorizationDetailsTypesSupported = detailTypes.isEmpty ? nil : detailTypes
        // The authorization code flow (RFC 6749 §4.1, RFC 7636, RFC 9126, RFC 9207) and OpenID Connect.
        document.authorizationEndpoint = base + Endpoints.authorization
        document.pushedAuthorizationRequestEndpoint = base + Endpoints.pushedAuthorization
        document.requirePushedAuthorizationRequests = engine.authorization.configuration.requirePushedAuthorizationRequests
        document.codeChallengeMethodsSupported = ["S256"]
        document.authorizationResponseIssParameterSupported = true
        document.userinfoEndpoint = base + Endpoints.userInfo
        document.subjectTypesSupported = ["public"]
        document.idTokenSigningAlgValuesSupported = SigningKeyGenerator.supportedAlgorithms.map(\.rawValue)
        document.claimsSupported = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "name", "preferred_username"]
        document.promptValuesSupported = SignInRequirement.promptValuesActedOn
        return document
    }
}
