import Crypto
public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// Mints JWT access tokens (RFC 9068) and opaque refresh tokens, and the records that describe them.
///
/// Minting does not store: the caller writes the ``TokenIssuance`` (through the store, in one
/// transaction) before anything reaches the client.
public struct TokenIssuer: Sendable {
    public struct Configuration: Sendable {
        public var issuer: String
        public var accessTokenLifetime: TimeInterval = 3600
        public var refreshTokenLifetime: TimeInterval = 30 * 86_400
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
        /// Key binding for a sender-constrained token (RFC 7800 §3.1, RFC 9449 §6.1).
        public var confirmation: Confirmation?
        /// The DPoP key thumbprint a new refresh token is bound to (RFC 9449 §5); see
        /// ``GrantContext/refreshTokenBinding(client:request:)``.
        public var refreshTokenBinding: String?
        /// The delegation chain (RFC 8693 §4.1).
        public var actor: ActorClaim?
        /// Rich authorization details granted (RFC 9396 §7), echoed in the response and the token.
        public var authorizationDetails: [JSONValue]?
        /// Claims imported from another trust domain (already namespaced by the claims
        /// transcription, draft-ietf-oauth-identity-chaining §2.5). They never replace a claim
        /// the token already has.
        public var additionalClaims: [String: JSONValue] = [:]
        /// The details a new refresh token remembers (the whole grant's); defaults to ``authorizationDetails``.
        public var refreshAuthorizationDetails: [JSONValue]?
        /// What the access token derives from, recorded in the ledger: revoking it revokes this token (issue 19).
        public var parent: TokenParent?

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
    let now: @Sendable () -> Date

    public init(configuration: Configuration, keyRing: KeyRing, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.keyRing = keyRing
        self.now = now
    }

    public func mint(_ grant: Grant) async throws -> Minted {
        let issuedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let expiresAt = issuedAt.addingTimeInterval(configuration.accessTokenLifetime)
        let jti = Self.sortableIdentifier()
        let claims = AccessTokenClaims(
            iss: configuration.issuer,
            sub: grant.subject,
            aud: Audience(grant.audience),
            exp: Int(expiresAt.timeIntervalSince1970),
            iat: Int(issuedAt.timeIntervalSince1970),
            jti: jti,
            clientID: grant.clientID,
            scope: grant.scope.isEmpty ? nil : grant.scope.description,
            cnf: grant.confirmation,
            act: grant.actor,
            authorizationDetails: grant.authorizationDetails
        )
        let accessToken: String
        if grant.additionalClaims.isEmpty {
            accessToken = try await keyRing.signer().sign(claims, type: AccessTokenClaims.type)
        } else {
            guard case .object(var merged) = JWTClaimSet.jsonValue(claims) else {
                throw JOSEError(.malformed, "the token claims could not be encoded")
            }
            for (name, value) in grant.additionalClaims where merged[name] == nil { merged[name] = value }
            accessToken = try await keyRing.signer().sign(merged, type: AccessTokenClaims.type)
        }
        let accessRecord = AccessTokenRecord(
            jti: jti,
            grantID: grant.grantID,
            clientID: grant.clientID,
            subject: grant.subject,
            scope: grant.scope.description,
            audience: grant.audience,
            issuedAt: issuedAt,
            expiresAt: expiresAt,
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
                expiresIn: Int(configuration.accessTokenLifetime),
                refreshToken: refreshToken,
                scope: grant.scope.isEmpty ? nil : grant.scope.description,
                authorizationDetails: grant.authorizationDetails
            ),
            issuance: TokenIssuance(accessToken: accessRecord, refreshToken: refreshRecord)
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
