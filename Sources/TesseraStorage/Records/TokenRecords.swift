public import Foundation

/// What is recorded about an issued access token (by `jti`), for introspection and revocation.
public struct AccessTokenRecord: Sendable, Hashable {
    public var jti: String
    /// The grant (token family) the token belongs to; revoking the grant revokes the token.
    public var grantID: String
    public var clientID: String
    public var subject: String
    public var scope: String
    public var audience: [String]
    public var issuedAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    /// What the token derives from: revoking that parent revokes this token (issue 19). `nil` for a root.
    public var parent: TokenParent?

    public init(
        jti: String,
        grantID: String,
        clientID: String,
        subject: String,
        scope: String,
        audience: [String],
        issuedAt: Date,
        expiresAt: Date,
        revokedAt: Date? = nil,
        parent: TokenParent? = nil
    ) {
        self.parent = parent
        self.jti = jti
        self.grantID = grantID
        self.clientID = clientID
        self.subject = subject
        self.scope = scope
        self.audience = audience
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Active: not revoked and not expired at `now` (RFC 7662 §2.2).
    public func isActive(at now: Date) -> Bool { revokedAt == nil && now < expiresAt }
}

/// How a token was derived from its parent: the edge revocation cascades along (docs/SECURITY.md,
/// "Revocation cascades along derivation edges").
public enum TokenDerivation: String, Sendable, Hashable, CaseIterable, Codable {
    /// Refreshed within its family (RFC 6749 §6): the parent is the token's own grant.
    case refresh
    /// Issued from an authorization code under a remembered consent (RFC 6749 §4.1); the parent id is the consent's.
    case consent
    /// Issued for a GNAP grant (RFC 9635 §3.2): the parent is the token's own grant.
    case gnap
    /// Exchanged from a subject token (RFC 8693 §2.1), or a JWT authorization grant minted from one
    /// (identity chaining §2.3): the parent id is the subject token's `jti`.
    case exchange
    /// Redeemed from a JWT authorization grant (RFC 7523 §2.1): the parent id is the grant's `jti`.
    case jwtGrant = "jwt_grant"

    /// Whether the parent is a token (its `jti`): revoking that token revokes this token's whole grant.
    public var parentIsToken: Bool { self == .exchange || self == .jwtGrant }
}

/// A token's parent in the ledger: the derivation edge and, unless the parent is the token's own grant, its id.
public struct TokenParent: Sendable, Hashable {
    public var derivation: TokenDerivation
    /// A `jti` (``TokenDerivation/parentIsToken``), a consent id, or `nil` when the parent is the token's grant.
    public var id: String?

    public init(_ derivation: TokenDerivation, _ id: String? = nil) {
        self.derivation = derivation
        self.id = id
    }

    /// The parent read back from the ledger's two columns; an unknown kind reads as no parent.
    public init?(kind: String?, id: String?) {
        guard let kind, let derivation = TokenDerivation(rawValue: kind) else { return nil }
        self.init(derivation, id)
    }

    /// The parent token's `jti`, when the parent is a token.
    public var tokenID: String? { derivation.parentIsToken ? id : nil }
}

/// What is recorded about a refresh token. Only a hash of the token is stored.
public struct RefreshTokenRecord: Sendable, Hashable {
    /// SHA-256 of the token, base64url.
    public var tokenHash: String
    public var grantID: String
    public var clientID: String
    public var subject: String
    /// The scope of the whole grant; a refresh request may narrow it for one access token.
    public var scope: String
    public var audience: [String]
    public var issuedAt: Date
    public var expiresAt: Date
    /// Set when the token was exchanged for a new one (RFC 9700 §4.14.2 rotation).
    public var usedAt: Date?
    public var revokedAt: Date?
    /// The JWK SHA-256 thumbprint of the DPoP key the token is bound to (RFC 9449 §5): every use
    /// must carry a proof signed with that key. `nil` for unbound tokens.
    public var jkt: String?
    /// The grant's rich authorization details (RFC 9396), as JSON text; a refresh may narrow them.
    public var authorizationDetails: String?

    public init(
        tokenHash: String,
        grantID: String,
        clientID: String,
        subject: String,
        scope: String,
        audience: [String],
        issuedAt: Date,
        expiresAt: Date,
        usedAt: Date? = nil,
        revokedAt: Date? = nil,
        jkt: String? = nil,
        authorizationDetails: String? = nil
    ) {
        self.authorizationDetails = authorizationDetails
        self.tokenHash = tokenHash
        self.grantID = grantID
        self.clientID = clientID
        self.subject = subject
        self.scope = scope
        self.audience = audience
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
        self.jkt = jkt
    }

    public func isActive(at now: Date) -> Bool { revokedAt == nil && usedAt == nil && now < expiresAt }
}

/// Everything one token response hands out, written in one transaction before the response is sent.
public struct TokenIssuance: Sendable, Hashable {
    public var accessToken: AccessTokenRecord
    public var refreshToken: RefreshTokenRecord?
    /// Further ledger entries of the access token's grant, written in the same commit: a second derivation edge of
    /// the grant (the actor token's, RFC 8693 §4.1, so the token dies with either token it derives from), or the ID
    /// token issued beside the access token (OpenID Connect Core §3.1.3.3, so it dies with the grant). When one is
    /// recorded revoked because its parent token already was, the whole new grant is.
    public var companions: [AccessTokenRecord]

    public init(accessToken: AccessTokenRecord, refreshToken: RefreshTokenRecord?, companions: [AccessTokenRecord] = []) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.companions = companions
    }
}

/// The outcome of an atomic refresh-token rotation.
public enum RefreshRotation: Sendable, Hashable {
    /// The old token was marked used and the replacement recorded.
    case rotated
    /// The token had already been used: the whole grant was revoked (RFC 9700 §4.14.2).
    case reuseDetected(grantID: String)
    /// Unknown, expired or revoked.
    case invalid
}

extension AccessTokenRecord: InsertableRecord {
    static let table = "access_tokens"
    static let columns = "jti, grant_id, client_id, subject, scope, audience, issued_at, expires_at, revoked_at, parent_kind, parent_id"

    /// Audiences are URIs (RFC 8707 §2: absolute, no spaces), so SQLite's newline-joined column is unambiguous.
    init(row: some StoredRow) throws {
        self.init(
            jti: try row.text(0),
            grantID: try row.text(1),
            clientID: try row.text(2),
            subject: try row.text(3),
            scope: try row.text(4),
            audience: try row.list(5, separator: "\n"),
            issuedAt: try row.date(6),
            expiresAt: try row.date(7),
            revokedAt: try row.optionalDate(8),
            parent: TokenParent(kind: try row.optionalText(9), id: try row.optionalText(10))
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(jti), .text(grantID), .text(clientID), .text(subject), .text(scope), .list(audience, separator: "\n"), .date(issuedAt),
            .date(expiresAt), .date(revokedAt), .text(parent?.derivation.rawValue), .text(parent?.id),
        ]
    }
}

extension RefreshTokenRecord: InsertableRecord {
    static let table = "refresh_tokens"
    static let columns =
        "token_hash, grant_id, client_id, subject, scope, audience, issued_at, expires_at, used_at, revoked_at, jkt, authorization_details"

    init(row: some StoredRow) throws {
        self.init(
            tokenHash: try row.text(0),
            grantID: try row.text(1),
            clientID: try row.text(2),
            subject: try row.text(3),
            scope: try row.text(4),
            audience: try row.list(5, separator: "\n"),
            issuedAt: try row.date(6),
            expiresAt: try row.date(7),
            usedAt: try row.optionalDate(8),
            revokedAt: try row.optionalDate(9),
            jkt: try row.optionalText(10),
            authorizationDetails: try row.optionalText(11)
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(tokenHash), .text(grantID), .text(clientID), .text(subject), .text(scope), .list(audience, separator: "\n"),
            .date(issuedAt),
            .date(expiresAt), .date(usedAt), .date(revokedAt), .text(jkt), .text(authorizationDetails),
        ]
    }
}
