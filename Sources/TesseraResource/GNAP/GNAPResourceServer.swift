public import Foundation
public import HTTPMessageSignatures
import Synchronization
public import TesseraProtocol

/// The resource-server side of GNAP: verifies client requests that present tokens (RFC 9635 §7.2) by
/// introspecting them at the AS (RFC 9767 §3.3) and checking the request signature with the key the token is
/// bound to; registers resource sets (RFC 9767 §3.4); builds RS-first discovery challenges (RFC 9635 §9.1).
///
/// Framework-free: adapt your server's request to ``HTTPSignatureRequest`` (with the *external* target URI the
/// client signed) and answer a ``GNAPVerificationFailure`` with 401 and its ``GNAPVerificationFailure/challenge``.
///
/// ```swift
/// // Hummingbird
/// let rs = GNAPResourceServer(configuration: .init(asBaseURL: "https://as.example", resourceServer: .key(key.gnapKey)), key: key)
/// router.get("/photos") { request, context -> Response in
///     let body = try await request.body.collect(upTo: 1 << 20)
///     let signed = HTTPSignatureRequest(request.head, body: Array(buffer: body))
///     switch await rs.verify(signed, requiredAccess: [.reference("photos")]) {
///     case .authorized(let granted): return try photos(for: granted.access)
///     case .refused(let failure):
///         return Response(status: .unauthorized, headers: [.wwwAuthenticate: failure.challenge])
///     }
/// }
/// ```
public struct GNAPResourceServer: Sendable {
    /// Settings with working defaults.
    public struct Configuration: Sendable {
        /// The AS base URL (its issuer); endpoints default to Tessera's paths under it.
        public var asBaseURL: String
        /// The AS grant endpoint, used in challenges and to check introspection `iss`.
        public var grantEndpoint: String
        /// `POST` target for introspection (RFC 9767 §3.3).
        public var introspectionEndpoint: String
        /// `POST` target for resource registration (RFC 9767 §3.4).
        public var resourceRegistrationEndpoint: String
        /// How this RS identifies itself: by key (value) or by instance identifier (reference), RFC 9767 §3.2.
        public var resourceServer: GNAPResourceServerReference
        /// How long an *active* introspection answer is reused (never beyond the token's `exp`). Zero disables.
        /// Signatures are verified on every request regardless (RFC 9767 §6.4).
        public var introspectionCacheLifetime: Duration = .seconds(10)
        /// At most this many cached answers.
        public var introspectionCacheLimit: Int = 10_000
        /// The signature rules for client requests: the GNAP profile, and a nonce required so replays are caught.
        public var signaturePolicy: HTTPSignatureVerificationPolicy
        /// The RS URI to put in challenges as `referrer` (RFC 9635 §9.1).
        public var referrer: String?
        /// Prove the RS's key with `mtls` (RFC 9635 §7.3.2) instead of httpsig on calls to the AS: nothing is
        /// signed, and the transport must present the RS's client certificate
        /// (`AsyncHTTPClientTransport.mutualTLS`); `resourceServer` names the RS by instance id or by that certificate.
        public var proveWithMutualTLS = false

        /// Creates a configuration using Tessera's endpoint paths under `asBaseURL`.
        public init(asBaseURL: String, resourceServer: GNAPResourceServerReference) {
            let base = asBaseURL.hasSuffix("/") ? String(asBaseURL.dropLast()) : asBaseURL
            self.asBaseURL = base
            self.grantEndpoint = base + "/gnap"
            self.introspectionEndpoint = base + "/gnap/introspect"
            self.resourceRegistrationEndpoint = base + "/gnap/resource"
            self.resourceServer = resourceServer
            var policy = HTTPSignatureVerificationPolicy.gnap
            policy.requireNonce = true
            self.signaturePolicy = policy
        }

        /// Uses the endpoints from the AS's RS-facing discovery document (RFC 9767 §3.1).
        public mutating func apply(_ discovery: GNAPResourceServerDiscovery) {
            grantEndpoint = discovery.grantRequestEndpoint
            if let introspection = discovery.introspectionEndpoint { introspectionEndpoint = introspection }
            if let registration = discovery.resourceRegistrationEndpoint { resourceRegistrationEndpoint = registration }
        }
    }

    /// The settings.
    public let configuration: Configuration
    /// The RS's own key: it signs every call to the AS (RFC 9767 §3.2).
    public let key: GNAPKeyPair
    private let transport: any TesseraTransport
    private let replayCache: any HTTPSignatureReplayCache
    private let now: @Sendable () -> Date
    private let cache: IntrospectionCache
    private let signer: GNAPRequestSigner

    /// Creates an RS verifier.
    ///
    /// - Parameters:
    ///   - configuration: AS endpoints and RS identity.
    ///   - key: The RS key that signs RS→AS calls.
    ///   - transport: HTTP to the AS (AsyncHTTPClient by default).
    ///   - replayCache: Remembers client signature nonces (process-local by default).
    ///   - now: The wall clock.
    public init(
        configuration: Configuration,
        key: GNAPKeyPair,
        transport: (any TesseraTransport)? = nil,
        replayCache: (any HTTPSignatureReplayCache)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.key = key
        self.transport = transport ?? ResourceHTTPTransport()
        self.replayCache = replayCache ?? InMemoryNonceCache(now: now)
        self.now = now
        self.cache = IntrospectionCache(limit: configuration.introspectionCacheLimit)
        self.signer = key.signer(now: now)
    }

    // MARK: - Discovery

    /// Fetches the RS-facing discovery document, `GET {asBaseURL}/.well-known/gnap-as-rs` (RFC 9767 §3.1).
    public static func discover(asBaseURL: String, transport: (any TesseraTransport)? = nil) async throws -> GNAPResourceServerDiscovery {
        let base = asBaseURL.hasSuffix("/") ? String(asBaseURL.dropLast()) : asBaseURL
        let request: HTTPSignatureRequest
        do {
            request = try HTTPSignatureRequest(
                method: "GET",
                targetURI: base + "/.well-known/gnap-as-rs",
                headerFields: [HTTPSignatureField(name: "Accept", value: "application/json")]
            )
        } catch {
            throw GNAPResourceError(.invalidResponse, "not an absolute URL: \(asBaseURL)")
        }
        let response = try await (transport ?? ResourceHTTPTransport()).send(request)
        guard response.status == 200 else { throw GNAPResourceError(.invalidResponse, "discovery answered HTTP \(response.status)") }
        return try decode(GNAPResourceServerDiscovery.self, from: response, "the RS-facing discovery document is not valid")
    }

    // MARK: - Challenges

    /// The `WWW-Authenticate` value for a request without a usable token (RFC 9635 §9.1).
    ///
    /// - Parameter access: An access reference (e.g. from ``register(_:tokenFormats:introspectionRequired:)``)
    ///   enough for the attempted action.
    /// - Returns: `GNAP as_uri=…[;access=…][;referrer=…]`.
    public func challenge(access: String? = nil) -> String {
        GNAPChallenge(asURI: configuration.grantEndpoint, access: access, referrer: configuration.referrer).headerValue
    }

    // MARK: - Verification

    /// Verifies a client request that presents a token.
    ///
    /// 1. Takes the token from `Authorization: GNAP …` (bound) or `Authorization: Bearer …` (bearer-flagged only).
    /// 2. Introspects it at the AS (cached for active tokens, bounded by `exp`), passing `requiredAccess` as
    ///    the minimum access (RFC 9767 §3.3), so an insufficient token is inactive.
    /// 3. For a bound token, verifies the request's httpsig signature (GNAP profile: `tag="gnap"`, fresh
    ///    `created`, unseen nonce, covering `@method`, `@target-uri`, `authorization`, `content-digest`) with the
    ///    key the AS reports. Never cached.
    ///
    /// A token bound to an `mtls` key (RFC 9635 §7.3.2) is verified instead against `clientCertificate`, the DER
    /// certificate the client presented on the TLS connection (or that a trusted TLS-terminating proxy forwarded in
    /// RFC 9440 `Client-Cert`): it must be the certificate the AS reports for the token. Pass it whenever the
    /// connection has one; a request with a client certificate and no `Signature` field is checked as mtls.
    ///
    /// Refusals are values (with the challenge to send); only programming errors throw.
    public func verify(
        _ request: HTTPSignatureRequest,
        clientCertificate: [UInt8]? = nil,
        requiredAccess: [GNAPAccessRight]? = nil
    ) async -> GNAPVerificationResult {
        let challenge = self.challenge()
        func refuse(_ reason: GNAPVerificationFailure.Reason, _ message: String) -> GNAPVerificationResult {
            .refused(GNAPVerificationFailure(reason: reason, message: message, challenge: challenge))
        }
        let authorizations = request.headerFields.filter { $0.name == "authorization" }
        guard authorizations.count == 1, let authorization = authorizations.first else {
            return refuse(.missingToken, authorizations.isEmpty ? "no access token" : "more than one Authorization field")
        }
        guard let (scheme, token) = Self.splitAuthorization(authorization.value) else {
            return refuse(.missingToken, "the Authorization field is not GNAP or Bearer")
        }
        let bound = scheme == "gnap"
        let mutualTLS = bound && clientCertificate != nil && !request.headerFields.contains { $0.name.lowercased() == "signature" }
        let introspection: GNAPIntrospectionResponse
        do {
            introspection = try await introspect(
                token: token,
                proof: bound ? (mutualTLS ? "mtls" : "httpsig") : nil,
                access: requiredAccess
            )
        } catch {
            return refuse(.introspectionFailed, "the AS could not be asked: \(error)")
        }
        guard introspection.active else { return refuse(.inactiveToken, "the token is not active") }
        func authorized(_ signature: VerifiedHTTPSignature?) -> GNAPVerificationResult {
            .authorized(
                GNAPAuthorizedRequest(token: token, access: introspection.access ?? [], introspection: introspection, signature: signature)
            )
        }
        if let iss = introspection.iss, iss != configuration.grantEndpoint {
            return refuse(.inactiveToken, "the token was issued by another AS")
        }
        if let exp = introspection.exp, Double(exp) <= now().timeIntervalSince1970 {
            return refuse(.inactiveToken, "the token has expired")
        }
        if let nbf = introspection.nbf, Double(nbf) > now().timeIntervalSince1970 + 60 {
            return refuse(.inactiveToken, "the token is not yet valid")
        }
        if !bound {
            guard introspection.isBearer, introspection.key == nil else {
                return refuse(.wrongScheme, "a bound token must be presented with the GNAP scheme and a key proof")
            }
            return authorized(nil)
        }
        guard !introspection.isBearer else { return refuse(.wrongScheme, "a bearer token must use the Bearer scheme") }
        if mutualTLS, let clientCertificate {
            guard case .value(let boundKey)? = introspection.key, boundKey.proof.method == "mtls" else {
                return refuse(.unsupportedKey, "the token is not bound to a certificate (mtls)")
            }
            guard let presented = try? GNAPCertificate(der: clientCertificate), presented.matches(boundKey) else {
                return refuse(.invalidSignature, "the TLS client certificate is not the one the token is bound to (RFC 9635 §7.3.2)")
            }
            return authorized(nil)
        }
        guard case .value(let boundKey)? = introspection.key, let jwk = boundKey.jwk else {
            return refuse(.unsupportedKey, "the token's key is not a JWK by value")
        }
        guard boundKey.proof.method == "httpsig" else {
            return refuse(.unsupportedKey, "the token is bound with proof \(boundKey.proof.method), not httpsig")
        }
        let verificationKey: HTTPVerificationKey
        do {
            let jwkJSON = String(decoding: try JSONEncoder().encode(jwk), as: UTF8.self)
            let explicit = boundKey.proof.alg.flatMap { HTTPSignatureAlgorithm(registryName: $0) }
            verificationKey = try HTTPVerificationKey(jwk: jwkJSON, algorithm: explicit)
        } catch {
            return refuse(.unsupportedKey, "the token's key cannot be used: \(error)")
        }
        var policy = configuration.signaturePolicy
        if !policy.requiredComponents.contains(.field("authorization")) {
            policy.requiredComponents.append(.field("authorization"))
        }
        let verifier = HTTPMessageVerifier(
            policy: policy,
            keys: HTTPSignatureKeySet([verificationKey]),
            replayCache: replayCache,
            now: now
        )
        do {
            switch try await verifier.verify(request) {
            case .valid(let signature):
                return authorized(signature)
            case .invalid(let error):
                return refuse(.invalidSignature, "the request signature was refused: \(error.code)")
            }
        } catch {
            return refuse(.invalidSignature, "the request signature could not be checked")
        }
    }

    // MARK: - Calls to the AS

    /// Introspects a token at the AS (RFC 9767 §3.3), signed with the RS key. Active answers are cached for
    /// ``Configuration/introspectionCacheLifetime``, never past the token's `exp`.
    public func introspect(token: String, proof: String?, access: [GNAPAccessRight]? = nil) async throws -> GNAPIntrospectionResponse {
        let cacheKey = IntrospectionCache.Key(token: token, proof: proof, access: access)
        let current = now()
        if let cached = cache.lookup(cacheKey, now: current) { return cached }
        let body = GNAPIntrospectionRequest(accessToken: token, proof: proof, resourceServer: configuration.resourceServer, access: access)
        let response = try await post(configuration.introspectionEndpoint, body: body)
        let answer = try Self.decode(GNAPIntrospectionResponse.self, from: response, "the introspection response is not valid")
        if answer.active {
            // RFC 9767 §3.3: access and iss are REQUIRED when active; key MUST NOT appear for bearer tokens.
            guard answer.access != nil, answer.iss != nil else {
                throw GNAPResourceError(.invalidResponse, "an active introspection answer needs access and iss")
            }
            if answer.isBearer, answer.key != nil {
                throw GNAPResourceError(.invalidResponse, "a bearer token's introspection answer carries a key")
            }
            var until = current.addingTimeInterval(Self.seconds(configuration.introspectionCacheLifetime))
            if let exp = answer.exp { until = min(until, Date(timeIntervalSince1970: TimeInterval(exp))) }
            if until > current { cache.store(cacheKey, answer, until: until, now: current) }
        }
        return answer
    }

    /// Registers a set of access rights (RFC 9767 §3.4) and returns the `resource_reference` to hand to clients.
    public func register(
        _ access: [GNAPAccessRight],
        tokenFormats: [String]? = nil,
        introspectionRequired: Bool? = nil
    ) async throws -> GNAPResourceRegistrationResponse {
        let body = GNAPResourceRegistrationRequest(
            access: access,
            resourceServer: configuration.resourceServer,
            tokenFormatsSupported: tokenFormats,
            tokenIntrospectionRequired: introspectionRequired
        )
        let response = try await post(configuration.resourceRegistrationEndpoint, body: body)
        return try Self.decode(GNAPResourceRegistrationResponse.self, from: response, "the registration response is not valid")
    }

    /// Drops every cached introspection answer (e.g. after learning of a revocation).
    public func clearIntrospectionCache() { cache.clear() }

    // MARK: - Private

    /// POSTs JSON to the AS, signed with the RS key (RFC 9767 §3.2); a non-200 answer is thrown as the AS's error.
    func post(_ uri: String, body: some Encodable) async throws -> TesseraHTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let bytes = Array(try encoder.encode(body))
        var request: HTTPSignatureRequest
        do {
            request = try HTTPSignatureRequest(
                method: "POST",
                targetURI: uri,
                headerFields: [
                    HTTPSignatureField(name: "Content-Type", value: "application/json"),
                    HTTPSignatureField(name: "Accept", value: "application/json"),
                ],
                body: bytes
            )
            if !configuration.proveWithMutualTLS { try signer.sign(&request) }
        } catch {
            throw GNAPResourceError(.signingFailed, "the RS request could not be built or signed: \(error)")
        }
        let response = try await transport.send(request)
        guard response.status == 200 else {
            if let body = try? JSONDecoder().decode(GNAPErrorBody.self, from: Data(response.body)) {
                let error = GNAPError(GNAPError.Code(rawValue: body.error.code), body.error.description ?? "")
                throw GNAPResourceError(.asError, "the AS refused: \(error)", gnapError: error)
            }
            throw GNAPResourceError(.invalidResponse, "the AS answered HTTP \(response.status)")
        }
        return response
    }

    /// Decodes an AS answer as `type`; one that does not fit is `invalidResponse`: `what`, then the decoding error.
    static func decode<T: Decodable>(_ type: T.Type, from response: TesseraHTTPResponse, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw GNAPResourceError(.invalidResponse, "\(what): \(error)")
        }
    }

    /// `GNAP <token>` or `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1) → (scheme lower-cased, token).
    static func splitAuthorization(_ value: String) -> (String, String)? {
        guard let space = value.firstIndex(of: " ") else { return nil }
        let scheme = value[..<space].lowercased()
        let token = value[value.index(after: space)...].trimmingCharacters(in: .whitespaces)
        guard scheme == "gnap" || scheme == "bearer", !token.isEmpty, !token.contains(" ") else { return nil }
        return (scheme, token)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}

/// Active introspection answers, each until min(lifetime, exp). Bounded; safe to lose.
final class IntrospectionCache: Sendable {
    struct Key: Hashable, Sendable {
        var token: String
        var proof: String?
        var access: [GNAPAccessRight]?
    }

    private struct Entry { var answer: GNAPIntrospectionResponse; var until: Date }
    private let entries = Mutex<[Key: Entry]>([:])
    private let limit: Int

    init(limit: Int) { self.limit = max(0, limit) }

    func lookup(_ key: Key, now: Date) -> GNAPIntrospectionResponse? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.until > now else {
                entries[key] = nil
                return nil
            }
            return entry.answer
        }
    }

    func store(_ key: Key, _ answer: GNAPIntrospectionResponse, until: Date, now: Date) {
        guard limit > 0 else { return }
        entries.withLock { entries in
            if entries.count >= limit {
                entries = entries.filter { $0.value.until > now }
                if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(answer: answer, until: until)
        }
    }

    func clear() { entries.withLock { $0.removeAll() } }
}
