public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// Dynamic client registration (RFC 7591 §3) and management (RFC 7592 §2): clients register
/// themselves within the operator's ceiling, get a generated `client_id` (and secret, stored
/// hashed), and manage their registration with a registration access token that is kept only as
/// a hash and rotated on every read and update.
public struct ClientRegistrationService: Sendable {
    public let configuration: ClientRegistrationConfiguration
    /// The registration endpoint URL; a client's configuration URI is this plus `/<client_id>`.
    public let endpoint: String
    let clients: any ClientStore
    let tokens: any TokenStore
    let now: @Sendable () -> Date
    private let validator: ClientRegistrationValidator

    public init(configuration: ClientRegistrationConfiguration, endpoint: String, stores: Stores, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.clients = stores.clients
        self.tokens = stores.tokens
        self.now = now
        self.validator = ClientRegistrationValidator(configuration: configuration)
    }

    /// RFC 7591 §3.1: registers a client from its metadata (a JSON object).
    /// - Parameters:
    ///   - body: the client metadata JSON.
    ///   - initialAccessToken: the bearer token sent, required in `initial_access_token` mode.
    /// - Returns: The registered client's information response (RFC 7591 §3.2.1).
    /// - Throws: ``OAuthError`` `invalid_token` (no valid initial access token), `invalid_redirect_uri`,
    ///   `invalid_client_metadata`, `invalid_software_statement`; store failures propagate.
    public func register(_ body: Data, initialAccessToken: String?) async throws -> ClientRegistrationResponse {
        let current = now()
        if configuration.mode == .initialAccessToken {
            guard let token = initialAccessToken, !token.isEmpty, token.utf8.count <= 512 else {
                throw OAuthError(.invalidToken, "registration needs an initial access token from the operator (Authorization: Bearer)")
            }
        }
        let accepted = try validator.validate(try Self.decode(body))
        if configuration.mode == .initialAccessToken, let token = initialAccessToken {
            // Spent only once the request is acceptable, so a mistyped request does not burn a use.
            guard try await clients.spendRegistrationToken(hash: TokenIssuer.hashToken(token), at: current) else {
                throw OAuthError(.invalidToken, "the initial access token is unknown, expired or used up")
            }
        }
        var record = ClientRecord(
            id: TokenIssuer.randomIdentifier(),
            authMethod: accepted.method,
            grantTypes: accepted.grantTypes,
            scopes: accepted.scopes,
            createdAt: current
        )
        apply(accepted, to: &record)
        var secret: String?
        if accepted.method.usesSharedSecret {
            let fresh = ClientSecret.generate()
            secret = fresh
            record.secretHash = ClientSecret.hash(fresh)
        }
        let accessToken = ClientSecret.generate()
        record.registration = ClientRegistration(
            metadata: try Self.encode(accepted.metadata),
            accessTokenHash: TokenIssuer.hashToken(accessToken)
        )
        try await clients.insert(record)
        return response(record, metadata: accepted.metadata, secret: secret, accessToken: accessToken)
    }

    /// RFC 7592 §2.1: the client's current registration, with a new registration access token
    /// (the old one is only kept as a hash, so it cannot be returned; §3 lets the server rotate it).
    public func read(clientID: String, accessToken: String?) async throws -> ClientRegistrationResponse {
        var record = try await authorize(clientID: clientID, accessToken: accessToken)
        let metadata = try Self.decode(Data((record.registration?.metadata ?? "{}").utf8))
        let fresh = ClientSecret.generate()
        record.registration?.accessTokenHash = TokenIssuer.hashToken(fresh)
        try await clients.upsert(record)
        return response(record, metadata: metadata, secret: nil, accessToken: fresh)
    }

    /// RFC 7592 §2.2: replaces the client's metadata, under the same rules as a registration. The
    /// authentication method cannot change (a secret is issued only at registration).
    public func update(clientID: String, accessToken: String?, body: Data) async throws -> ClientRegistrationResponse {
        var record = try await authorize(clientID: clientID, accessToken: accessToken)
        var requested = try Self.decode(body)
        guard requested.clientID == clientID else {
            throw OAuthError.invalidRequest("the update must carry the client's own client_id (RFC 7592 §2.2)")
        }
        if let secret = requested.clientSecret {
            guard let stored = record.secretHash, ClientSecret.verify(secret, against: stored) else {
                throw ClientRegistrationValidator.metadata("client_secret is not this client's secret (RFC 7592 §2.2)")
            }
        }
        // An omitted method means the current one, so the rules are checked against it.
        if requested.tokenEndpointAuthMethod == nil { requested.tokenEndpointAuthMethod = record.authMethod.rawValue }
        let accepted = try validator.validate(requested)
        guard accepted.method == record.authMethod else {
            throw ClientRegistrationValidator.metadata("token_endpoint_auth_method cannot change; register a new client instead")
        }
        record.grantTypes = accepted.grantTypes
        record.scopes = accepted.scopes
        apply(accepted, to: &record)
        let fresh = ClientSecret.generate()
        record.registration = ClientRegistration(
            metadata: try Self.encode(accepted.metadata),
            accessTokenHash: TokenIssuer.hashToken(fresh)
        )
        try await clients.upsert(record)
        return response(record, metadata: accepted.metadata, secret: nil, accessToken: fresh)
    }

    /// RFC 7592 §2.3: removes the client and revokes every token issued to it.
    public func delete(clientID: String, accessToken: String?) async throws {
        _ = try await authorize(clientID: clientID, accessToken: accessToken)
        _ = try await clients.remove(id: clientID)
        try await tokens.revokeTokens(clientID: clientID, at: now())
    }

    // MARK: - Helpers

    /// RFC 7592 §2: the registration access token must be the current one of this self-registered
    /// client. Unknown clients and wrong tokens get the same answer (§2.1: do not reveal which).
    private func authorize(clientID: String, accessToken: String?) async throws -> ClientRecord {
        let refused = OAuthError(.invalidToken, "the registration access token is not valid for this client")
        // The client id comes from the URL path: canonical before it becomes a lookup key, like at the token endpoint.
        guard let accessToken, !accessToken.isEmpty, accessToken.utf8.count <= 512, PresentedIdentifier.isCanonical(clientID, as: .clientID)
        else { throw refused }
        let presented = Array(TokenIssuer.hashToken(accessToken).utf8)
        let found = try await clients.client(id: clientID)
        let stored = Array((found?.registration?.accessTokenHash ?? TokenIssuer.hashToken("no registration")).utf8)
        guard ConstantTime.equals(presented, stored), let found, found.registration != nil else { throw refused }
        return found
    }

    /// Narrows every self-registered client to the ceiling as it stands now (`registration.allowed_scopes`,
    /// `allowed_grant_types`), its stored metadata included: run at start-up, so an operator who lowers the ceiling
    /// reaches the clients that registered under the higher one (review round 13, L10; RFC 7591 §2 lets the server
    /// replace requested values), and their refresh families narrow at their next refresh (J6).
    /// - Returns: the identifiers of the clients narrowed.
    /// - Throws: store failures.
    public func applyCeiling() async throws -> [String] {
        var narrowed: [String] = []
        for var record in try await clients.all() where record.registration != nil {
            let scopes = record.scopes.filter(configuration.allowedScopes.contains)
            let grantTypes = record.grantTypes.filter(configuration.allowedGrantTypes.contains)
            guard scopes != record.scopes || grantTypes != record.grantTypes else { continue }
            (record.scopes, record.grantTypes) = (scopes, grantTypes)
            if var registration = record.registration,
                var metadata = try? JSONDecoder().decode(ClientRegistrationMetadata.self, from: Data(registration.metadata.utf8))
            {
                metadata.scope = scopes.joined(separator: " ")
                metadata.grantTypes = grantTypes.map(\.rawValue)
                registration.metadata = try Self.encode(metadata)
                record.registration = registration
            }
            try await clients.upsert(record)
            narrowed.append(record.id)
        }
        return narrowed
    }

    private func apply(_ accepted: ClientRegistrationValidator.Accepted, to record: inout ClientRecord) {
        record.redirectURIs = accepted.redirectURIs
        record.jwks = accepted.jwks
        record.jwksURI = accepted.jwksURI
        // The operator's choice, not the client's: RFC 7591 has no member for it, and a client cannot relax it.
        record.requireResource = configuration.requireResource
    }

    private func response(
        _ record: ClientRecord,
        metadata: ClientRegistrationMetadata,
        secret: String?,
        accessToken: String
    ) -> ClientRegistrationResponse {
        ClientRegistrationResponse(
            clientID: record.id,
            clientSecret: secret,
            clientIDIssuedAt: Int(record.createdAt.timeIntervalSince1970),
            clientSecretExpiresAt: record.authMethod.usesSharedSecret ? 0 : nil,
            registrationAccessToken: accessToken,
            registrationClientURI: endpoint + "/" + record.id,
            metadata: metadata
        )
    }

    /// The request body as RFC 7591 metadata; a member of the wrong type is named in the error, and text not in
    /// Unicode Normalization Form C is refused (``UnicodeNFC``: the server compares what it keeps as exact strings).
    static func decode(_ body: Data) throws(OAuthError) -> ClientRegistrationMetadata {
        if let value = JSONValue.parse(body), !UnicodeNFC.isNormalized(value) {
            throw ClientRegistrationValidator.metadata("a string in the client metadata \(UnicodeNFC.rule)")
        }
        do {
            return try JSONDecoder().decode(ClientRegistrationMetadata.self, from: body)
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw ClientRegistrationValidator.metadata(
                "member '\(context.codingPath.first?.stringValue ?? "?")' has the wrong type (RFC 7591 §2)"
            )
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw ClientRegistrationValidator.metadata(
                "member '\(context.codingPath.first?.stringValue ?? "?")' is not valid (RFC 7591 §2)"
            )
        } catch let DecodingError.keyNotFound(key, context) where !context.codingPath.isEmpty {
            throw ClientRegistrationValidator.metadata(
                "member '\(context.codingPath.first?.stringValue ?? key.stringValue)' is not valid (RFC 7591 §2)"
            )
        } catch {
            throw ClientRegistrationValidator.metadata("the request body must be a JSON object of client metadata (RFC 7591 §3.1)")
        }
    }

    static func encode(_ metadata: ClientRegistrationMetadata) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(metadata), as: UTF8.self)
    }
}
