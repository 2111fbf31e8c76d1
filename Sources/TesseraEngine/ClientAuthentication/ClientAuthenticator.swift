public import Foundation
import TesseraProtocol
public import TesseraStorage

/// Authenticates clients at the token, introspection and revocation endpoints (RFC 6749 §2.3,
/// RFC 7523 §2.2 and §3).
///
/// Every failure is `invalid_client` with the same description whether the client is unknown or
/// the credential is wrong, so the endpoint does not reveal which client ids exist.
public struct ClientAuthenticator: Sendable {
    public struct Configuration: Sendable {
        /// Our issuer identifier: an accepted client-assertion `aud`.
        public var issuer: String
        /// The token endpoint URL: also accepted as `aud` (RFC 7523 §3 item 3).
        public var tokenEndpoint: String
        /// Allowed clock difference for `exp`, `nbf` and `iat`.
        public var clockSkew: TimeInterval = 60
        /// The longest lifetime an assertion may claim (`exp` − now), so a stolen one cannot live long.
        public var maximumAssertionLifetime: TimeInterval = 600

        public init(issuer: String, tokenEndpoint: String) {
            self.issuer = issuer
            self.tokenEndpoint = tokenEndpoint
        }
    }

    private static let failed = "client authentication failed"

    let configuration: Configuration
    let clients: any ClientStore
    let replay: any ReplayCache
    let keyCache: ClientKeyCache
    /// Resolves `client_id`s that are metadata document URLs; `nil` when the server does not accept them.
    let metadataClients: ClientMetadataResolver?
    let now: @Sendable () -> Date

    public init(
        configuration: Configuration,
        clients: any ClientStore,
        replay: any ReplayCache,
        keyCache: ClientKeyCache,
        metadataClients: ClientMetadataResolver? = nil,
        now: @escaping @Sendable () -> Date
    ) {
        self.configuration = configuration
        self.clients = clients
        self.replay = replay
        self.keyCache = keyCache
        self.metadataClients = metadataClients
        self.now = now
    }

    /// A registered client, or — for a URL `client_id` when metadata documents are accepted — the
    /// client its document describes. Registered clients win: an operator may pre-register a URL.
    /// - Throws: ``OAuthError`` `invalid_client` when a document cannot be used (its reason is
    ///   safe to show: it is about the client's own document).
    func lookup(_ id: String) async throws -> (ClientRecord, MetadataClient?)? {
        if let record = try await clients.client(id: id) { return (record, nil) }
        guard let metadataClients, ClientIDMetadataURL.isCandidate(id) else { return nil }
        let client = try await metadataClients.client(id: id)
        return (client.record, client)
    }

    /// Checks the credentials against the registered client.
    /// - Parameters:
    ///   - credentials: what the request presented.
    ///   - allowPublic: whether a public client (`client_id` only, method `none`) is acceptable here.
    /// - Returns: The client, with how it authenticated.
    /// - Throws: ``OAuthError`` `invalid_client`; store failures propagate.
    public func authenticate(_ credentials: ClientCredentials, allowPublic: Bool) async throws -> AuthenticatedClient {
        switch credentials {
        case .basic(let id, let secret):
            return try await authenticateSecret(id: id, secret: secret, method: .clientSecretBasic)
        case .post(let id, let secret):
            return try await authenticateSecret(id: id, secret: secret, method: .clientSecretPost)
        case .assertion(let id, let assertion):
            return try await authenticateAssertion(assertion, claimedID: id)
        case .clientIDOnly(let id):
            // A party registered only at the GNAP door is no OAuth public client (issue 19, one registry).
            guard Self.canNameAClient(id), case (let record, let metadata)? = try await lookup(id), record.usesOAuth else {
                throw OAuthError.invalidClient(Self.failed)
            }
            guard record.authMethod == .none else {
                throw OAuthError.invalidClient("this client must authenticate with \(record.authMethod)")
            }
            guard allowPublic else { throw OAuthError.invalidClient("public clients cannot use this endpoint") }
            return AuthenticatedClient(record: record, method: .none, metadata: metadata)
        case .none:
            throw OAuthError.invalidClient("client authentication is required")
        }
    }

    private func authenticateSecret(id: String, secret: String, method: ClientAuthenticationMethod) async throws -> AuthenticatedClient {
        guard Self.canNameAClient(id), let record = try await clients.client(id: id), let stored = record.secretHash else {
            // Spend the same work as a real check so timing does not reveal unknown ids.
            _ = ClientSecret.verify(secret, against: Self.decoyHash)
            throw OAuthError.invalidClient(Self.failed)
        }
        guard ClientSecret.verify(secret, against: stored) else { throw OAuthError.invalidClient(Self.failed) }
        guard record.authMethod == method else {
            throw OAuthError.invalidClient("this client is registered for \(record.authMethod), not \(method)")
        }
        return AuthenticatedClient(record: record, method: method)
    }

    private func authenticateAssertion(_ assertion: String, claimedID: String?) async throws -> AuthenticatedClient {
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: assertion) } catch {
            throw OAuthError.invalidClient("client_assertion is not a valid JWS: \(error.message)")
        }
        if let typ = jws.header.typ, !["jwt", ClientAssertionClaims.type].contains(JOSEHeader.normalizedType(typ)) {
            throw OAuthError.invalidClient("client_assertion has typ '\(typ.prefix(40))', not \(ClientAssertionClaims.type)")
        }
        guard let unverified = try? JSONDecoder().decode(ClientAssertionClaims.self, from: jws.payload), let issuer = unverified.iss else {
            throw OAuthError.invalidClient("client_assertion payload must be a JSON object with an 'iss' claim")
        }
        if let claimedID, claimedID != issuer {
            throw OAuthError.invalidClient("client_id differs from the client_assertion issuer")
        }
        guard Self.canNameAClient(issuer), case (let record, let metadata)? = try await lookup(issuer), record.authMethod == .privateKeyJWT
        else {
            throw OAuthError.invalidClient(Self.failed)
        }
        let verifier = try await keyVerifier(record: record, fromMetadataDocument: metadata != nil, kid: jws.header.kid)
        do { _ = try verifier.verify(jws) } catch { throw OAuthError.invalidClient("client_assertion rejected: \(error.message)") }
        try await checkClaims(unverified, clientID: record.id)
        // Fetching the key set may have stamped a key change (``ClientMetadataResolver/observe(_:of:)``).
        let observed = metadata == nil ? nil : try await metadataClients?.client(id: record.id)
        return AuthenticatedClient(record: record, method: .privateKeyJWT, metadata: observed)
    }

    /// A verifier for the client's own public keys (registered `jwks`, or `jwks_uri` through the
    /// cache — the guarded one for metadata-document clients, whose fetched key set is observed).
    /// - Throws: ``OAuthError`` `invalid_client` when the client has no usable keys.
    func keyVerifier(record: ClientRecord, fromMetadataDocument: Bool, kid: String?) async throws(OAuthError) -> JWSVerifier {
        do {
            if let jwks = record.jwks {
                return try await JWSVerifier(keys: try JSONDecoder().decode(PublicJWKSet.self, from: Data(jwks.utf8)))
            } else if let uri = record.jwksURI {
                guard fromMetadataDocument, let metadataClients else { return try await keyCache.verifier(for: uri, kid: kid) }
                let keys = try await metadataClients.keyCache.keys(for: uri, kid: kid)
                try await metadataClients.observe(keys, of: record.id)
                return keys.verifier
            }
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError.invalidClient("the client's keys could not be loaded")
        }
        throw OAuthError.invalidClient("the client has no keys registered")
    }

    /// RFC 7523 §3, in the digest's recommended order, after the signature verified.
    private func checkClaims(_ claims: ClientAssertionClaims, clientID: String) async throws {
        guard claims.sub == clientID else { throw OAuthError.invalidClient("client_assertion 'sub' must equal 'iss' (the client_id)") }
        // draft-ietf-oauth-rfc7523bis: the issuer as the sole audience, never the token endpoint. An
        // assertion a client made for another party (an AS that advertised our token endpoint as its own,
        // or one that lists several audiences) cannot be relayed here ("audience injection").
        guard claims.aud?.values == [configuration.issuer] else {
            throw OAuthError.invalidClient("client_assertion 'aud' must be this authorization server's issuer, as its only value")
        }
        let current = now().timeIntervalSince1970
        guard let exp = claims.exp else { throw OAuthError.invalidClient("client_assertion has no 'exp'") }
        guard Double(exp) + configuration.clockSkew > current else { throw OAuthError.invalidClient("client_assertion has expired") }
        guard Double(exp) - current <= configuration.maximumAssertionLifetime + configuration.clockSkew else {
            throw OAuthError.invalidClient("client_assertion 'exp' is too far in the future")
        }
        if let nbf = claims.nbf, Double(nbf) > current + configuration.clockSkew {
            throw OAuthError.invalidClient("client_assertion is not valid yet ('nbf')")
        }
        if let iat = claims.iat, Double(iat) > current + configuration.clockSkew {
            throw OAuthError.invalidClient("client_assertion 'iat' is in the future")
        }
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw OAuthError.invalidClient("client_assertion needs a 'jti' of at most 256 bytes")
        }
        let fresh = try await replay.insertIfAbsent(
            namespace: "client_assertion:\(clientID)",
            value: jti,
            expiresAt: Date(timeIntervalSince1970: Double(exp) + configuration.clockSkew),
            now: now()
        )
        guard fresh else { throw OAuthError.invalidClient("client_assertion 'jti' was already used") }
    }

    /// Whether a presented id could be a registered one (``ClientDefinition`` allows 1–255 printable ASCII
    /// characters). Anything else is refused before the store sees it: SQLite reads a bound string only up to its
    /// first NUL, so `victim\u{0}x` would otherwise find the client `victim`.
    static func canNameAClient(_ id: String) -> Bool {
        PresentedIdentifier.isCanonical(id, as: .clientID)
    }

    private static let decoyHash = ClientSecret.hash("decoy-secret-for-unknown-clients-xxxxxxxx")
}
