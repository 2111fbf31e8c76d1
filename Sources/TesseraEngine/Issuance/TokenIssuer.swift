import Crypto
public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// The one issuer (issue 19): every token this server hands out — OAuth and GNAP access tokens (RFC 9068,
/// RFC 9635 §3.2), refresh tokens, ID tokens (OpenID Connect Core §2, RFC 9635 §3.4), JWT authorization
/// grants (identity chaining §2.3.3) and ID-JAGs — gets its `iss`, `iat`, `exp` and `jti` here, its lifetime
/// from one policy (``Configuration``), its signature from the key ring and its ledger record with its
/// parent. The doors add only their own claims (`cnf`, `scope`, `authorization_details`, `access`, `nonce` …).
///
/// Access tokens are minted, not stored: the caller writes the ``TokenIssuance`` (in the transaction that
/// also stores its grant) before anything reaches the client. An assertion has nothing to share a
/// transaction with, so ``mintAssertion(_:)`` records it itself.
public struct TokenIssuer: Sendable {
    public struct Configuration: Sendable {
        public var issuer: String
        public var accessTokenLifetime: TimeInterval = 3600
        public var refreshTokenLifetime: TimeInterval = 30 * 86_400
        /// ID tokens, through either door.
        public var idTokenLifetime: TimeInterval = 300
        /// JWT authorization grants for a peer (identity chaining §2.3.3: short).
        public var authorizationGrantLifetime: TimeInterval = 60
        /// ID-JAGs, at most 300 s (draft-ietf-oauth-identity-assertion-authz-grant §3.1).
        public var idJAGLifetime: TimeInterval = 300
        public init(issuer: String) { self.issuer = issuer }
    }

    /// What a grant decided to issue.
    public struct Grant: Sendable {
        public var grantID: String
        public var clientID: String
        public var subject: String
        public var scope: Scope
        public var audience: [String]
        public var includeRefreshToken: Bool
        /// The scope a new refresh token carries (the whole grant's); defaults to ``scope``.
        public var refreshScope: Scope?
        /// Key binding for a sender-constrained token (RFC 7800 §3.1, RFC 9449 §6.1, RFC 8705 §3.1).
        public var confirmation: Confirmation?
        /// The DPoP key thumbprint a new refresh token is bound to (RFC 9449 §5): the key proven with
        /// the request. A public client must prove that same key at every refresh; a confidential client
        /// may move to another key it proves, but a key-bound grant never continues as bearer (RFC 9700 §4.8).
        public var refreshTokenBinding: String?
        /// The delegation chain (RFC 8693 §4.1).
        public var actor: ActorClaim?
        /// Rich authorization details granted (RFC 9396 §7), echoed in the response and the token.
        public var authorizationDetails: [JSONValue]?
        /// GNAP access rights granted (RFC 9635 §8), the token's `access` claim.
        public var access: [GNAPAccessRight]?
        /// Claims imported from another trust domain (already namespaced by the claims
        /// transcription, draft-ietf-oauth-identity-chaining §2.5). They never replace a claim
        /// the token already has.
        public var additionalClaims: [String: JSONValue] = [:]
        /// The details a new refresh token remembers (the whole grant's); defaults to ``authorizationDetails``.
        public var refreshAuthorizationDetails: [JSONValue]?
        /// What the access token derives from, recorded in the ledger: revoking it revokes this token (issue 19).
        public var parent: TokenParent?
        /// The actor token a delegated token derives from too (RFC 8693 §4.1), recorded as a second edge of its grant
        /// (``ledgerEdge(of:to:)``): revoking either token revokes this one.
        public var actorParent: TokenParent?
        /// The latest the access token may expire: a derived token never outlives its parent (RFC 9767 §4).
        public var expiresNoLaterThan: Date?

        public init(
            grantID: String,
            clientID: String,
            subject: String,
            scope: Scope,
            audience: [String],
            includeRefreshToken: Bool,
            refreshScope: Scope? = nil
        ) {
            self.grantID = grantID
            self.clientID = clientID
            self.subject = subject
            self.scope = scope
            self.audience = audience
            self.includeRefreshToken = includeRefreshToken
            self.refreshScope = refreshScope
        }
    }

    /// Signed tokens plus the records to store before sending them.
    public struct Minted: Sendable {
        public var response: TokenResponse
        public var issuance: TokenIssuance
    }

    public let configuration: Configuration
    let keyRing: KeyRing
    /// The token ledger assertions are recorded in.
    let ledger: any TokenStore
    let now: @Sendable () -> Date

    public init(configuration: Configuration, keyRing: KeyRing, ledger: any TokenStore, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.keyRing = keyRing
        self.ledger = ledger
        self.now = now
    }

    /// When a token minted now is issued and expires (whole seconds), and its `jti`.
    struct Stamp {
        let jti: String
        let issuedAt: Date
        let expiresAt: Date
        var iat: Int { Int(issuedAt.timeIntervalSince1970) }
        var exp: Int { Int(expiresAt.timeIntervalSince1970) }
    }

    func stamp(lifetime: TimeInterval) -> Stamp {
        let issuedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        return Stamp(jti: Self.sortableIdentifier(), issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(lifetime))
    }

    /// Mints an access token (RFC 9068), through either door, and a refresh token when the grant asks for one.
    /// - Parameter grant: what was decided; the door's claims ride on it.
    /// - Returns: the token response and the records to store before it is sent.
    /// - Throws: when the claims cannot be encoded or signed.
    public func mint(_ grant: Grant) async throws -> Minted {
        var stamp = stamp(lifetime: configuration.accessTokenLifetime)
        if let cap = grant.expiresNoLaterThan, cap < stamp.expiresAt {
            stamp = Stamp(jti: stamp.jti, issuedAt: stamp.issuedAt, expiresAt: max(stamp.issuedAt, cap))
        }
        let (issuedAt, jti) = (stamp.issuedAt, stamp.jti)
        let claims = AccessTokenClaims(
            iss: configuration.issuer,
            sub: grant.subject,
            aud: Audience(grant.audience),
            exp: stamp.exp,
            iat: stamp.iat,
            jti: jti,
            clientID: grant.clientID,
            scope: grant.scope.isEmpty ? nil : grant.scope.description,
            cnf: grant.confirmation,
            access: grant.access,
            act: grant.actor,
            authorizationDetails: grant.authorizationDetails
        )
        let accessToken: String
        if grant.additionalClaims.isEmpty {
            accessToken = try keyRing.currentSigner().sign(claims, type: AccessTokenClaims.type)
        } else {
            guard case .object(var merged) = JWTClaimSet.jsonValue(claims) else {
                throw JOSEError(.malformed, "the token claims could not be encoded")
            }
            for (name, value) in grant.additionalClaims where merged[name] == nil { merged[name] = value }
            accessToken = try keyRing.currentSigner().sign(merged, type: AccessTokenClaims.type)
        }
        let accessRecord = AccessTokenRecord(
            jti: jti,
            grantID: grant.grantID,
            clientID: grant.clientID,
            subject: grant.subject,
            scope: grant.scope.description,
            audience: grant.audience,
            issuedAt: issuedAt,
            expiresAt: stamp.expiresAt,
            parent: grant.parent
        )
        var refreshToken: String?
        var refreshRecord: RefreshTokenRecord?
        if grant.includeRefreshToken {
            let token = Self.randomIdentifier()
            refreshToken = token
            refreshRecord = RefreshTokenRecord(
                tokenHash: Self.hashToken(token),
                grantID: grant.grantID,
                clientID: grant.clientID,
                subject: grant.subject,
                scope: (grant.refreshScope ?? grant.scope).description,
                audience: grant.audience,
                issuedAt: issuedAt,
                expiresAt: issuedAt.addingTimeInterval(configuration.refreshTokenLifetime),
                jkt: grant.refreshTokenBinding,
                authorizationDetails: try Self.encodeDetails(grant.refreshAuthorizationDetails ?? grant.authorizationDetails)
            )
        }
        return Minted(
            response: TokenResponse(
                accessToken: accessToken,
                tokenType: grant.confirmation?.jkt == nil ? "Bearer" : "DPoP",
                expiresIn: Int(stamp.expiresAt.timeIntervalSince(issuedAt)),
                refreshToken: refreshToken,
                scope: grant.scope.isEmpty ? nil : grant.scope.description,
                authorizationDetails: grant.authorizationDetails
            ),
            issuance: TokenIssuance(
                accessToken: accessRecord,
                refreshToken: refreshRecord,
                companions: grant.actorParent.map { [Self.ledgerEdge(of: accessRecord, to: $0)] } ?? []
            )
        )
    }

    /// A second derivation edge of `record`'s grant (RFC 8693 §4.1: a delegated token derives from its actor token
    /// as well as its subject token): a ledger entry of the same grant, named after the token, whose parent is
    /// `parent`. The cascade walks grant by grant (``TokenStore``), so revoking that parent reaches the token's grant.
    /// - Parameters:
    ///   - record: the token's own ledger entry.
    ///   - parent: the other token it derives from.
    /// - Returns: the edge's entry; no token carries its `jti`.
    static func ledgerEdge(of record: AccessTokenRecord, to parent: TokenParent) -> AccessTokenRecord {
        var edge = record
        edge.jti = record.jti + ".actor"
        edge.parent = parent
        return edge
    }

    /// Mints an ID token (OpenID Connect Core §2): the code flow's and a GNAP `id_token` subject assertion
    /// (RFC 9635 §3.4) alike, for one audience (so `azp` repeats it), living ``Configuration/idTokenLifetime``.
    /// - Parameters:
    ///   - subject: the person.
    ///   - audience: the OAuth client, or the GNAP client instance (its id, or its key thumbprint).
    ///   - nonce: the authentication request's `nonce` (OpenID Connect Core §3.1.2.1), if any.
    ///   - authTime: when the person authenticated (Unix seconds); `nil` when nobody authenticated here, and the
    ///     token then carries no `auth_time` (a relying party's `max_age` check then refuses it).
    ///   - grant: the ledger grant the ID token belongs to, and the parent of the tokens issued with it: its ledger
    ///     entry (returned, recorded by the caller) dies with that grant, and only a live one is an identity assertion
    ///     for an ID-JAG (``IDJAGSubjectValidator``; eighth review, F4).
    /// - Returns: the signed ID token and its ledger entry.
    /// - Throws: when it cannot be signed.
    public func mintIDToken(
        subject: String,
        audience: String,
        nonce: String?,
        authTime: Int?,
        grant: (id: String, parent: TokenParent?)
    ) async throws -> MintedIDToken {
        let stamp = stamp(lifetime: configuration.idTokenLifetime)
        let claims = IDTokenClaims(
            iss: configuration.issuer,
            sub: subject,
            aud: audience,
            exp: stamp.exp,
            iat: stamp.iat,
            jti: stamp.jti,
            authTime: authTime,
            nonce: nonce,
            azp: audience
        )
        let token = try keyRing.currentSigner().sign(claims, type: "JWT")
        let record = AccessTokenRecord(
            jti: stamp.jti,
            grantID: grant.id,
            clientID: audience,
            subject: subject,
            scope: "",
            audience: [audience],
            issuedAt: stamp.issuedAt,
            expiresAt: stamp.expiresAt,
            parent: grant.parent
        )
        return MintedIDToken(token: token, record: record)
    }

    /// A signed ID token and its ledger entry (by `jti`, in the grant it was issued under).
    public struct MintedIDToken: Sendable {
        public var token: String
        public var record: AccessTokenRecord
    }

    /// A JWT assertion for another authorization server, its kind setting its JOSE `typ`, lifetime and
    /// ledger grant: a JWT authorization grant (identity chaining §2.3.3) or an ID-JAG
    /// (draft-ietf-oauth-identity-assertion-authz-grant §3.1).
    struct Assertion {
        enum Kind {
            case authorizationGrant, idJAG
        }
        var kind: Kind
        /// The door's claims (transcribed claims, `sub`, `client_id`, `act`, `cnf` …); the stamp is added here.
        var claims: [String: JSONValue]
        /// The peer authorization server: the single `aud`.
        var audience: String
        var scope: Scope
        /// The ledger's holder and subject (ours, which may differ from the `sub` mapped for the peer).
        var clientID: String
        var subject: String
        var parent: TokenParent?
        /// The actor token it derives from too (RFC 8693 §4.1), a second ledger edge (``ledgerEdge(of:to:)``).
        var actorParent: TokenParent?
        /// The granted `authorization_details` (RFC 9396), carried as a claim and echoed in the response
        /// (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3 rule 4, §4.3.4).
        var authorizationDetails: [JSONValue]?
        /// The latest the assertion may expire: never after the token it derives from (RFC 8693 §2.1).
        var expiresNoLaterThan: Date?
    }

    /// Mints and records an assertion: `iss`, `aud`, `iat`, `exp`, `jti` and `scope` over the door's claims,
    /// recorded in the ledger (so it can be revoked, and cascades, like any token of ours) before it is returned.
    /// - Parameter assertion: what to mint.
    /// - Returns: the RFC 8693 §2.2.1 response: `N_A`, never a refresh token.
    /// - Throws: when it cannot be signed or recorded.
    func mintAssertion(_ assertion: Assertion) async throws -> TokenResponse {
        let (lifetime, type, grantPrefix, issuedType) =
            switch assertion.kind {
            case .authorizationGrant: (configuration.authorizationGrantLifetime, "JWT", "chaining:", TokenTypeIdentifier.jwt)
            case .idJAG: (min(configuration.idJAGLifetime, 300), IDJAGTrust.type, "id-jag:", TokenTypeIdentifier.idJAG)
            }
        var stamp = stamp(lifetime: lifetime)
        if let cap = assertion.expiresNoLaterThan, cap < stamp.expiresAt {
            stamp = Stamp(jti: stamp.jti, issuedAt: stamp.issuedAt, expiresAt: max(stamp.issuedAt, cap))
        }
        let scope = assertion.scope.isEmpty ? nil : assertion.scope.description
        var claims = assertion.claims
        claims["iss"] = .string(configuration.issuer)
        claims["aud"] = .string(assertion.audience)
        claims["iat"] = .number(Double(stamp.iat))
        claims["exp"] = .number(Double(stamp.exp))
        claims["jti"] = .string(stamp.jti)
        if let scope { claims["scope"] = .string(scope) }
        if let details = assertion.authorizationDetails { claims["authorization_details"] = .array(details) }
        let value = try keyRing.currentSigner().sign(claims, type: type)
        let record = AccessTokenRecord(
            jti: stamp.jti,
            grantID: grantPrefix + stamp.jti,
            clientID: assertion.clientID,
            subject: assertion.subject,
            scope: assertion.scope.description,
            audience: [assertion.audience],
            issuedAt: stamp.issuedAt,
            expiresAt: stamp.expiresAt,
            parent: assertion.parent
        )
        try await ledger.record(
            TokenIssuance(
                accessToken: record,
                refreshToken: nil,
                companions: assertion.actorParent.map { [Self.ledgerEdge(of: record, to: $0)] } ?? []
            )
        )
        return TokenResponse(
            accessToken: value,
            tokenType: "N_A",
            expiresIn: Int(stamp.expiresAt.timeIntervalSince(stamp.issuedAt)),
            scope: scope,
            issuedTokenType: issuedType,
            authorizationDetails: assertion.authorizationDetails
        )
    }

    /// Authorization details as stored with a refresh token (JSON text), `nil` when there are none.
    public static func encodeDetails(_ details: [JSONValue]?) throws -> String? {
        guard let details else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    /// Authorization details read back from a refresh token record.
    public static func decodeDetails(_ text: String?) throws -> [JSONValue]? {
        guard let text else { return nil }
        return try JSONDecoder().decode([JSONValue].self, from: Data(text.utf8))
    }

    /// 256 random bits, base64url: secrets (refresh, management and continuation tokens, codes, cookies).
    public static func randomIdentifier() -> String {
        SecureRandom.withBytes(32) { Base64URL.encode($0) }
    }

    /// 128 random bits as lowercase hex: identifiers people type or paste into a shell. A base64url value may
    /// begin with `-`, which a command line reads as an option.
    public static func randomHandle() -> String {
        SecureRandom.withBytes(16) { bytes in
            var hex: [UInt8] = []
            hex.reserveCapacity(32)
            for byte in bytes { appendHex(byte, to: &hex) }
            return String(decoding: hex, as: UTF8.self)
        }
    }

    /// A unique identifier that is not a secret (a token's `jti`, a grant id, a management URI's id): 32
    /// lowercase hex digits, the first 12 the creation time in Unix milliseconds and the other 20 random (80
    /// bits), like a UUIDv7 (RFC 9562 §5.7).
    ///
    /// Ids made in time order land next to each other in the stores' indexes, so a batch of grants committed
    /// together touches a few index pages instead of one random page per id (a GNAP grant indexes six ids).
    /// The time is not hidden, which is fine for identifiers whose tokens carry `iat` anyway; never use this
    /// for a secret.
    public static func sortableIdentifier(at date: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var hex: [UInt8] = []
        hex.reserveCapacity(32)
        for shift in stride(from: 40, through: 0, by: -8) {
            appendHex(UInt8(truncatingIfNeeded: milliseconds >> UInt64(shift)), to: &hex)
        }
        SecureRandom.withBytes(10) { bytes in
            for byte in bytes { appendHex(byte, to: &hex) }
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHex(_ byte: UInt8, to hex: inout [UInt8]) {
        hex.append(hexDigits[Int(byte >> 4)])
        hex.append(hexDigits[Int(byte & 0x0F)])
    }

    /// How bearer secrets (refresh tokens) are stored: SHA-256, base64url. They are random, so no salt is needed.
    public static func hashToken(_ token: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
