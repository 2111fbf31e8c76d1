public import Foundation
public import HTTPMessageSignatures
public import TesseraProtocol

/// The resource-server side of OAuth: checks the access token a request presents (RFC 6750 §2.1,
/// RFC 9449 §7) and says what the token grants, or which `WWW-Authenticate` challenge to answer.
///
/// JWT access tokens (RFC 9068) are verified locally with the authorization server's keys (found
/// through its metadata, cached, refetched for an unknown `kid`); opaque tokens, or all tokens when
/// configured, are introspected (RFC 7662). DPoP-bound tokens need `Authorization: DPoP` and a
/// proof from the bound key covering this request and token (`ath`); proofs are single use.
/// Framework-free: see `TesseraResourceHummingbird` for the middleware.
///
/// ```swift
/// let rs = OAuthResourceServer(configuration: .init(issuer: "https://as.example", resource: "https://api.example"))
/// switch await rs.authorize(ResourceRequest(method: "GET", uri: url, authorization: auth, dpop: dpop), requiredScopes: Scope(["read"])) {
/// case .success(let token): print(token.subject, token.scopes, token.actorChain)
/// case .failure(let refusal): respond(refusal.status, wwwAuthenticate: refusal.wwwAuthenticate)
/// }
/// ```
public struct OAuthResourceServer: Sendable {
    /// How access tokens are validated.
    public enum Validation: Sendable, Hashable {
        /// JWT access tokens only, verified with the AS keys (RFC 9068 §4).
        case jwt
        /// Every token is introspected (RFC 7662) with the RS's client credentials.
        case introspection(clientID: String, clientSecret: String)
        /// JWTs locally; tokens that are not JWTs are introspected.
        case jwtThenIntrospection(clientID: String, clientSecret: String)
    }

    /// Settings with secure defaults.
    public struct Configuration: Sendable {
        /// The authorization server's issuer identifier; tokens must carry exactly this `iss`.
        public var issuer: String
        /// This resource's identifier (RFC 9728 §1.2, RFC 8707): the token `aud` must contain it,
        /// and the metadata is published under it.
        public var resource: String
        /// Audiences accepted besides ``resource`` (e.g. a logical API name).
        public var additionalAudiences: [String] = []
        public var validation: Validation = .jwt
        /// Where the AS keys are; `nil` reads `jwks_uri` from the AS metadata.
        public var jwksURI: String?
        /// Algorithms accepted for access tokens (never `none` or HMAC).
        public var tokenAlgorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric
        /// Algorithms accepted for DPoP proofs, advertised in challenges as `algs`.
        public var dpopAlgorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric
        /// Accept bearer (unbound) tokens; when false only DPoP-bound tokens are accepted.
        public var acceptBearerTokens = true
        /// Clock skew allowed on `exp`, `nbf`, `iat` and proof `iat`, in seconds.
        public var clockSkew: TimeInterval = 60
        /// How old a DPoP proof may be, in seconds.
        public var dpopProofWindow: TimeInterval = 60
        /// When set, proofs must carry a nonce this RS issued (RFC 9449 §9); the secret is this RS's own.
        public var dpopNonceSecret: Data?
        /// The AS key set is fetched again for an unknown `kid` at most this often.
        public var jwksMinimumRefreshInterval: TimeInterval = 10
        /// What the RS publishes at its metadata URL (RFC 9728 §2).
        public var resourceName: String?
        public var scopesSupported: [String]?
        /// An optional `realm` in challenges.
        public var realm: String?

        public init(issuer: String, resource: String) {
            self.issuer = issuer
            self.resource = resource
        }
    }

    public let configuration: Configuration
    private let keys: AuthorizationServerKeys
    private let transport: any TesseraTransport
    private let proofVerifier: DPoPProofVerifier
    private let nonces: DPoPNonces?
    private let replayCache: any HTTPSignatureReplayCache
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - configuration: the resource and the issuer it trusts.
    ///   - transport: HTTP to the AS (AsyncHTTPClient by default).
    ///   - replayCache: remembers DPoP proof `jti`s; process-local by default, share one across instances.
    ///   - now: the clock, injected in tests.
    public init(
        configuration: Configuration,
        transport: (any TesseraTransport)? = nil,
        replayCache: (any HTTPSignatureReplayCache)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let transport = transport ?? ResourceHTTPTransport()
        self.configuration = configuration
        self.transport = transport
        self.keys = AuthorizationServerKeys(
            issuer: configuration.issuer,
            jwksURI: configuration.jwksURI,
            allowedAlgorithms: configuration.tokenAlgorithms.intersection(JWSAlgorithm.asymmetric),
            minimumRefreshInterval: configuration.jwksMinimumRefreshInterval,
            transport: transport,
            now: now
        )
        self.proofVerifier = DPoPProofVerifier(
            allowedAlgorithms: configuration.dpopAlgorithms,
            maximumAge: configuration.dpopProofWindow,
            allowedSkew: configuration.clockSkew
        )
        self.nonces = configuration.dpopNonceSecret.map { DPoPNonces(secret: $0, period: 300) }
        self.replayCache = replayCache ?? InMemoryNonceCache(now: now)
        self.now = now
    }

    // MARK: - Metadata (RFC 9728)

    /// The document to serve at ``metadataPath``.
    public var metadata: ProtectedResourceMetadata {
        ProtectedResourceMetadata(
            resource: configuration.resource,
            authorizationServers: [configuration.issuer],
            scopesSupported: configuration.scopesSupported,
            bearerMethodsSupported: ["header"],
            resourceName: configuration.resourceName,
            dpopSigningAlgValuesSupported: proofVerifier.allowedAlgorithms.map(\.rawValue).sorted(),
            dpopBoundAccessTokensRequired: !configuration.acceptBearerTokens
        )
    }

    /// Where the metadata is published (RFC 9728 §3.1), and the `resource_metadata` of challenges.
    public var metadataURL: String? { ProtectedResourceMetadata.metadataURL(for: configuration.resource) }
    /// The path part of ``metadataURL``, for routing.
    public var metadataPath: String? { ProtectedResourceMetadata.metadataPath(for: configuration.resource) }

    // MARK: - Authorization

    /// Checks the request's access token (and DPoP proof) and the scopes it must grant.
    /// - Returns: the token's contents, or the refusal to answer with. Infrastructure failures
    ///   (the AS unreachable) are refusals too: 503 with no challenge.
    public func authorize(_ request: ResourceRequest, requiredScopes: Scope = .empty) async -> Result<VerifiedAccessToken, ResourceRefusal>
    {
        do {
            return .success(try await verify(request, requiredScopes: requiredScopes))
        } catch let refusal as ResourceRefusal {
            return .failure(refusal)
        } catch {
            return .failure(
                ResourceRefusal(
                    status: 503,
                    error: OAuthError.temporarilyUnavailable("the authorization server could not be reached"),
                    challenges: []
                )
            )
        }
    }

    private enum Scheme { case bearer, dpop }

    private func verify(_ request: ResourceRequest, requiredScopes: Scope) async throws -> VerifiedAccessToken {
        guard !request.authorization.isEmpty else { throw refusal(401, nil, scheme: nil) }
        guard request.authorization.count == 1, let credentials = parseAuthorization(request.authorization[0]) else {
            throw refusal(400, .invalidRequest("send exactly one Authorization header: 'Bearer <token>' or 'DPoP <token>'"), scheme: nil)
        }
        let (scheme, token) = credentials
        var verified: VerifiedAccessToken
        do {
            verified = try await validate(token)
        } catch let error as OAuthError {
            throw refusal(401, error, scheme: scheme)
        }
        let boundKey = verified.confirmation?.jkt
        switch scheme {
        case .bearer:
            if let x5t = verified.confirmation?.x5tS256 {
                // RFC 8705 §3: a certificate-bound token is used only over TLS with that certificate.
                guard let certificate = request.clientCertificate,
                    ConstantTime.equals(Array(GNAPCertificate.thumbprint(of: certificate).utf8), Array(x5t.utf8))
                else {
                    throw refusal(
                        .invalidToken,
                        "this token is bound to a client certificate (cnf x5t#S256) that this request did not present (RFC 8705 §3)",
                        scheme: .bearer
                    )
                }
            }
            guard boundKey == nil else {
                // RFC 9449 §7.2: a DPoP-bound token presented as bearer is a downgrade.
                throw refusal(
                    .invalidToken,
                    "this token is DPoP-bound; present it with 'Authorization: DPoP' and a DPoP proof",
                    scheme: .dpop
                )
            }
            guard configuration.acceptBearerTokens else {
                throw refusal(.invalidToken, "this resource accepts only DPoP-bound tokens", scheme: .dpop)
            }
            verified.kind = .bearer
        case .dpop:
            guard let boundKey else {
                throw refusal(.invalidToken, "this token is not DPoP-bound; present it as a Bearer token", scheme: .dpop)
            }
            let now = now()
            let proof: DPoPProof
            do {
                proof = try await proofVerifier.verify(
                    headerValues: request.dpop,
                    method: request.method,
                    uri: request.uri,
                    accessToken: token,
                    now: now
                )
            } catch {
                throw refusal(401, error, scheme: .dpop)
            }
            guard ConstantTime.equals(Array(proof.jkt.utf8), Array(boundKey.utf8)) else {
                throw refusal(.invalidToken, "the DPoP proof key does not match the token's key binding (cnf.jkt)", scheme: .dpop)
            }
            if let nonces {
                guard let nonce = proof.nonce, nonces.isValid(nonce, now: now) else {
                    throw refusal(.useDPoPNonce, "this resource requires a DPoP nonce; use the DPoP-Nonce response header", scheme: .dpop)
                }
            }
            let fresh = try await replayCache.insertIfAbsent(
                nonce: proof.jti,
                keyID: "dpop:" + proof.jkt,
                expiresAt: proofVerifier.replayWindowEnd(for: proof)
            )
            guard fresh else {
                throw refusal(.invalidDPoPProof, "the DPoP proof was already used (replayed 'jti')", scheme: .dpop)
            }
            verified.kind = .dpop
        }
        guard verified.hasScopes(requiredScopes) else {
            throw refusal(
                403,
                OAuthError(.insufficientScope, "the token lacks the scope this resource requires"),
                scheme: scheme,
                scope: requiredScopes
            )
        }
        return verified
    }

    private func parseAuthorization(_ value: String) -> (Scheme, String)? {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= CompactJWS.maximumSize, !token.contains(" ") else { return nil }
        switch parts[0].lowercased() {
        case "bearer": return (.bearer, token)
        case "dpop": return (.dpop, token)
        default: return nil
        }
    }

    // MARK: - Token validation

    private func validate(_ token: String) async throws -> VerifiedAccessToken {
        let looksLikeJWT = token.split(separator: ".", omittingEmptySubsequences: false).count == 3
        switch configuration.validation {
        case .jwt:
            return try await validateJWT(token)
        case .introspection(let clientID, let secret):
            return try await introspect(token, clientID: clientID, secret: secret)
        case .jwtThenIntrospection(let clientID, let secret):
            return looksLikeJWT ? try await validateJWT(token) : try await introspect(token, clientID: clientID, secret: secret)
        }
    }

    private struct TimeClaims: Decodable { var nbf: Int? }

    /// RFC 9068 §4: `typ`, signature with an allowed algorithm, `iss`, `aud`, `exp`/`nbf`/`iat`.
    private func validateJWT(_ token: String) async throws -> VerifiedAccessToken {
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: token) } catch {
            throw OAuthError(.invalidToken, "the access token is not a JWT: \(error.message)")
        }
        let payload: Data
        do {
            payload = try await keys.verify(jws, expectedType: AccessTokenClaims.type)
        } catch let error as JOSEError {
            throw OAuthError(.invalidToken, "the access token is not valid: \(error.message)")
        }
        guard let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: payload) else {
            throw OAuthError(.invalidToken, "the access token lacks required claims (RFC 9068 §2.2)")
        }
        let nbf = (try? JSONDecoder().decode(TimeClaims.self, from: payload))?.nbf
        let now = now().timeIntervalSince1970
        try check(issuer: claims.iss, audience: claims.aud.values, exp: claims.exp, nbf: nbf, now: now)
        guard TimeInterval(claims.iat) - configuration.clockSkew <= now else {
            throw OAuthError(.invalidToken, "the access token was issued in the future (iat)")
        }
        return VerifiedAccessToken(
            kind: claims.cnf?.jkt == nil ? .bearer : .dpop,
            issuer: claims.iss,
            subject: claims.sub,
            clientID: claims.clientID,
            scopes: Scope((claims.scope ?? "").split(separator: " ").map(String.init)),
            audience: claims.aud.values,
            expiresAt: Date(timeIntervalSince1970: TimeInterval(claims.exp)),
            jti: claims.jti,
            actor: claims.act,
            authorizationDetails: claims.authorizationDetails,
            confirmation: claims.cnf
        )
    }

    /// The claims a JWT and an introspection answer share (RFC 9068 §4, RFC 7662 §2.2): the issuer and the
    /// audience when given, `exp` and `nbf` within ``Configuration/clockSkew``.
    private func check(issuer: String?, audience: [String]?, exp: Int, nbf: Int?, now: TimeInterval) throws(OAuthError) {
        // Both compared code point by code point (RFC 8259 §8.3), not with `==`, which takes equivalent spellings.
        if let issuer, !UnicodeNFC.identical(issuer, configuration.issuer) {
            throw OAuthError(.invalidToken, "the access token was issued by another authorization server")
        }
        let accepted = acceptedAudiences
        if let audience, !audience.contains(where: { named in accepted.contains { UnicodeNFC.identical($0, named) } }) {
            throw OAuthError(.invalidToken, "the access token is not meant for this resource (aud)")
        }
        guard TimeInterval(exp) + configuration.clockSkew > now else { throw OAuthError(.invalidToken, "the access token has expired") }
        if let nbf, TimeInterval(nbf) - configuration.clockSkew > now {
            throw OAuthError(.invalidToken, "the access token is not valid yet (nbf)")
        }
    }

    private var acceptedAudiences: Set<String> { Set([configuration.resource] + configuration.additionalAudiences) }

    private struct Introspected: Decodable {
        var active: Bool
        var scope: String?
        var clientID: String?
        var tokenType: String?
        var exp: Int?
        var nbf: Int?
        var sub: String?
        var aud: Audience?
        var iss: String?
        var jti: String?
        var cnf: Confirmation?
        var act: ActorClaim?
        var authorizationDetails: [JSONValue]?
        enum CodingKeys: String, CodingKey {
            case active, scope, exp, nbf, sub, aud, iss, jti, cnf, act
            case clientID = "client_id"
            case tokenType = "token_type"
            case authorizationDetails = "authorization_details"
        }
    }

    /// RFC 7662 §2: POST the token with the RS's client credentials; inactive is `invalid_token`.
    private func introspect(_ token: String, clientID: String, secret: String) async throws -> VerifiedAccessToken {
        let endpoint = try await keys.introspectionEndpoint()
        let credentials = Data("\(FormParameters.encode(clientID)):\(FormParameters.encode(secret))".utf8).base64EncodedString()
        let request = try HTTPSignatureRequest(
            method: "POST",
            targetURI: endpoint,
            headerFields: [
                HTTPSignatureField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                HTTPSignatureField(name: "Accept", value: "application/json"),
                HTTPSignatureField(name: "Authorization", value: "Basic " + credentials),
            ],
            body: Array("token=\(FormParameters.encode(token))&token_type_hint=access_token".utf8)
        )
        let response = try await transport.send(request)
        guard response.status == 200, let answer = try? JSONDecoder().decode(Introspected.self, from: Data(response.body)) else {
            throw ResourceServerError("introspection at \(endpoint) answered HTTP \(response.status)")
        }
        guard answer.active, let exp = answer.exp, let sub = answer.sub else {
            throw OAuthError(.invalidToken, "the access token is not active")
        }
        try check(issuer: answer.iss, audience: answer.aud?.values, exp: exp, nbf: answer.nbf, now: now().timeIntervalSince1970)
        return VerifiedAccessToken(
            kind: answer.cnf?.jkt == nil ? .bearer : .dpop,
            issuer: answer.iss ?? configuration.issuer,
            subject: sub,
            clientID: answer.clientID,
            scopes: Scope((answer.scope ?? "").split(separator: " ").map(String.init)),
            audience: answer.aud?.values ?? [],
            expiresAt: Date(timeIntervalSince1970: TimeInterval(exp)),
            jti: answer.jti,
            actor: answer.act,
            authorizationDetails: answer.authorizationDetails,
            confirmation: answer.cnf
        )
    }

    // MARK: - Challenges

    /// A 401 refusal with `code` and `message` (RFC 6750 §3.1, RFC 9449 §7.1).
    private func refusal(_ code: OAuthError.Code, _ message: String, scheme: Scheme) -> ResourceRefusal {
        refusal(401, OAuthError(code, message), scheme: scheme)
    }

    /// The refusal with challenges per RFC 6750 §3 and RFC 9449 §7.1: no error details when no
    /// credentials were sent (both schemes offered), else the error on the scheme that was used.
    private func refusal(_ status: Int, _ error: OAuthError?, scheme: Scheme?, scope: Scope? = nil) -> ResourceRefusal {
        func challenge(_ name: String, withError: Bool) -> AuthenticationChallenge {
            var parameters: [(name: String, value: String)] = []
            if let realm = configuration.realm { parameters.append(("realm", realm)) }
            if withError, let error {
                parameters.append(("error", error.code.rawValue))
                parameters.append(("error_description", error.message))
            }
            if let scope, !scope.isEmpty { parameters.append(("scope", scope.description)) }
            if name == "DPoP" {
                parameters.append(("algs", proofVerifier.allowedAlgorithms.map(\.rawValue).sorted().joined(separator: " ")))
            }
            if let metadataURL { parameters.append(("resource_metadata", metadataURL)) }
            return AuthenticationChallenge(scheme: name, parameters: parameters)
        }
        var challenges: [AuthenticationChallenge] = []
        switch scheme {
        case nil:
            if configuration.acceptBearerTokens { challenges.append(challenge("Bearer", withError: error != nil)) }
            challenges.append(challenge("DPoP", withError: error != nil))
        case .bearer:
            challenges.append(challenge("Bearer", withError: true))
        case .dpop:
            challenges.append(challenge("DPoP", withError: true))
        }
        let nonce = error?.code == .useDPoPNonce ? nonces?.current(now: now()) : nil
        return ResourceRefusal(status: status, error: error, challenges: challenges, dpopNonce: nonce)
    }
}
