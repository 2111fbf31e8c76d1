import Crypto
public import Foundation
import Logging
public import TesseraProtocol
public import TesseraStorage

/// A client known by its metadata document, as the engine uses it.
public struct MetadataClient: Sendable, Hashable {
    /// The document, mapped onto what registered clients have (id, method, keys, grant types, scopes).
    public var record: ClientRecord
    public var document: ClientMetadataDocument
    /// First sight and recorded changes of keys and redirect URIs.
    public var observation: MetadataClientObservation
}

/// Resolves `client_id`s that are URLs (draft-ietf-oauth-client-id-metadata-document-01 §4): fetch
/// through the guarded fetcher, validate, map onto a ``ClientRecord`` bounded by what the operator
/// allows such clients, remember first sight and key/redirect changes, and cache per HTTP caching
/// clamped to ``Configuration/minimumCacheLifetime`` … ``Configuration/maximumCacheLifetime``.
/// Failures and invalid documents are never cached (§4, "Metadata Caching").
public actor ClientMetadataResolver {
    public struct Configuration: Sendable, Hashable {
        /// Grant types such clients may use, whatever their documents say.
        public var allowedGrantTypes: [GrantType] = [.clientCredentials]
        /// Scopes such clients may be granted: the intersection with the document's `scope`.
        public var allowedScopes: [String] = []
        /// `http://` client ids, for local development and tests only.
        public var allowHTTP = false
        public var minimumCacheLifetime: TimeInterval = 30
        public var maximumCacheLifetime: TimeInterval = 86_400
        /// Used when the response has no `Cache-Control: max-age`.
        public var defaultCacheLifetime: TimeInterval = 300
        /// The draft's recommended cap (§6, "Response size").
        public var maximumDocumentSize = 5 * 1024

        public init() {}
    }

    private struct Entry {
        var client: MetadataClient
        var expiresAt: Date
    }

    public let configuration: Configuration
    private let fetcher: any ClientMetadataFetching
    private let store: any ClientMetadataStore
    private let now: @Sendable () -> Date
    private let logger = Logger(label: "tessera.client-metadata")
    private var cache: [String: Entry] = [:]
    private var inFlight: [String: Task<MetadataClient, any Error>] = [:]
    /// Key sets behind `jwks_uri` members, fetched under the same guards.
    let keyCache: ClientKeyCache

    public init(
        configuration: Configuration,
        fetcher: any ClientMetadataFetching,
        store: any ClientMetadataStore,
        now: @escaping @Sendable () -> Date
    ) {
        self.configuration = configuration
        self.fetcher = fetcher
        self.store = store
        self.now = now
        self.keyCache = ClientKeyCache(fetcher: GuardedKeySets(fetcher: fetcher), now: now)
    }

    /// The client behind a metadata document URL, from cache or freshly fetched.
    /// - Throws: ``OAuthError`` `invalid_client` with the reason; store failures propagate.
    public func client(id url: String) async throws -> MetadataClient {
        try ClientIDMetadataURL.validate(url, allowHTTP: configuration.allowHTTP)
        if let entry = cache[url], entry.expiresAt > now() { return entry.client }
        if let running = inFlight[url] { return try await running.value }
        let task = Task { try await self.fetchAndValidate(url) }
        inFlight[url] = task
        defer { inFlight[url] = nil }
        return try await task.value
    }

    private func fetchAndValidate(_ url: String) async throws -> MetadataClient {
        let fetched = try await fetcher.fetchDocument(url, maximumBytes: configuration.maximumDocumentSize)
        guard fetched.status == 200 else {
            throw OAuthError.invalidClient("the client metadata document answered HTTP \(fetched.status), not 200")
        }
        let document: ClientMetadataDocument
        do { document = try JSONDecoder().decode(ClientMetadataDocument.self, from: fetched.body) } catch {
            throw OAuthError.invalidClient("the client metadata document is not a JSON object with the RFC 7591 members")
        }
        // Text from the network that becomes the client's registered scope and redirect URIs, compared with Swift's
        // `==` and by Cedar byte for byte: held to NFC as registration metadata is (``UnicodeNFC``, RFC 8259 §8.3).
        if let value = JSONValue.parse(fetched.body), !UnicodeNFC.isNormalized(value) {
            throw OAuthError.invalidClient("the client metadata document is not acceptable: a string in it \(UnicodeNFC.rule)")
        }
        let record = try record(for: document, url: url)
        let observation = try await store.observe(
            clientID: url,
            keysFingerprint: Self.fingerprint(keys: document),
            redirectURIsFingerprint: Self.fingerprint(document.redirectURIs ?? []),
            at: now()
        )
        if observation.keysChangedAt == observation.lastFetchedAt {
            logger.warning("client metadata document changed its keys", metadata: ["client_id": "\(url)"])
        }
        if observation.redirectURIsChangedAt == observation.lastFetchedAt {
            logger.warning("client metadata document changed its redirect_uris", metadata: ["client_id": "\(url)"])
        }
        var client = MetadataClient(record: record, document: document, observation: observation)
        client.record.createdAt = observation.firstSeenAt
        let lifetime = min(
            max(fetched.maxAge ?? configuration.defaultCacheLifetime, configuration.minimumCacheLifetime),
            configuration.maximumCacheLifetime
        )
        cache[url] = Entry(client: client, expiresAt: now().addingTimeInterval(lifetime))
        return client
    }

    /// Records the key set just fetched from a client's `jwks_uri` (RFC 7638 thumbprints): keys replaced behind an
    /// unchanged `jwks_uri` stamp `keysChangedAt` as a changed document does, so the challenge policy's
    /// `keys_changed_recently` sees them (docs/client-challenge.md).
    func observe(_ keys: ClientKeyCache.Keys, of clientID: String) async throws {
        let fingerprint = Self.fingerprint(keys.thumbprints)
        guard cache[clientID]?.client.observation.keySetFingerprint != fingerprint else { return }
        let current = now()
        guard let observation = try await store.observeKeySet(clientID: clientID, fingerprint: fingerprint, at: current) else { return }
        if observation.keysChangedAt == current {
            logger.warning("client metadata document's jwks_uri serves other keys", metadata: ["client_id": "\(clientID)"])
        }
        cache[clientID]?.client.observation = observation
    }

    /// §4 and §6: the checks, then the document mapped onto a record within the operator's bounds.
    func record(for document: ClientMetadataDocument, url: String) throws(OAuthError) -> ClientRecord {
        func refuse(_ why: String) -> OAuthError { .invalidClient("the client metadata document is not acceptable: \(why)") }
        guard UnicodeNFC.identical(document.clientID, url) else { throw refuse("its client_id is not exactly the URL it was fetched from") }
        guard document.clientSecret == nil, document.clientSecretExpiresAt == nil else {
            throw refuse("it must not contain client_secret or client_secret_expires_at")
        }
        guard let methodName = document.tokenEndpointAuthMethod else {
            throw refuse("token_endpoint_auth_method is required (private_key_jwt, or none for a public client)")
        }
        let method = ClientAuthenticationMethod(rawValue: methodName)
        guard method == .privateKeyJWT || method == .none else {
            throw refuse(
                "token_endpoint_auth_method '\(methodName.prefix(40))' is not allowed; shared secrets are impossible here, use private_key_jwt or none"
            )
        }
        var jwksText: String?
        if method == .privateKeyJWT {
            switch (document.jwks, document.jwksURI) {
            case (let jwks?, nil):
                guard !jwks.keys.isEmpty else { throw refuse("jwks holds no keys") }
                jwksText = String(decoding: (try? JSONEncoder().encode(jwks)) ?? Data(), as: UTF8.self)
            case (nil, let uri?):
                do { try ClientIDMetadataURL.validate(uri, allowHTTP: configuration.allowHTTP) } catch {
                    throw refuse("jwks_uri must be an https URL without query or fragment")
                }
            case (nil, nil): throw refuse("private_key_jwt needs jwks or jwks_uri")
            case (_?, _?): throw refuse("jwks and jwks_uri must not both be present (RFC 7591 §2)")
            }
        }
        // The operator's rule for redirect URIs (review round 12, K4: any scheme was taken, `javascript:` and plain
        // `http` to any host included): https, http to a loopback host, or a reversed-domain private-use scheme.
        do { _ = try ClientDefinition.validateRedirectURIs(document.redirectURIs ?? []) } catch {
            throw refuse("redirect_uris: \(error.message)")
        }
        if let name = document.clientName, !name.isEmpty, !DisplayedName.isDisplayable(name) {
            throw refuse(
                "client_name must be 1 to 200 bytes without control or formatting characters (such as bidirectional overrides) or marks stacked on one character"
            )
        }
        let declaredGrants = (document.grantTypes ?? ["authorization_code"]).map(GrantType.init(rawValue:))
        var grants = declaredGrants.filter(configuration.allowedGrantTypes.contains)
        if method == .none { grants.removeAll { $0 == .clientCredentials } }
        let declaredScopes = (document.scope ?? "").split(separator: " ").map(String.init)
        var record = ClientRecord(
            id: url,
            authMethod: method,
            jwks: jwksText,
            jwksURI: method == .privateKeyJWT ? document.jwksURI : nil,
            grantTypes: grants,
            scopes: declaredScopes.filter(configuration.allowedScopes.contains),
            createdAt: now()
        )
        // Matched exactly at the authorization endpoint and PAR (CIMD §4.2, RFC 9700 §4.1.3).
        record.redirectURIs = document.redirectURIs ?? []
        return record
    }

    static func fingerprint(keys document: ClientMetadataDocument) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let keys = document.jwks.flatMap { try? encoder.encode($0) } ?? Data()
        return fingerprint([String(decoding: keys, as: UTF8.self), document.jwksURI ?? ""])
    }

    static func fingerprint(_ values: [String]) -> String {
        Base64URL.encode(SHA256.hash(data: Data(values.joined(separator: "\n").utf8)))
    }
}

/// `jwks_uri` key sets of metadata-document clients, through the guarded fetcher.
private struct GuardedKeySets: JWKSFetcher {
    let fetcher: any ClientMetadataFetching
    func fetchJWKS(from url: String) async throws -> PublicJWKSet { try await fetcher.fetchJWKS(url) }
}
