public import Foundation

/// An authorization request held between its arrival and the person's decision: pushed by the
/// client (RFC 9126 §2, `kind` "pushed") or started at the authorization endpoint and waiting for
/// sign-in and consent (`kind` "pending"). Only the SHA-256 of its random identifier is stored.
public struct AuthorizationRequestRecord: Sendable, Hashable {
    public static let pushed = "pushed"
    public static let pending = "pending"

    public var idHash: String
    public var kind: String
    public var clientID: String
    /// The validated request, as JSON text.
    public var parameters: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(idHash: String, kind: String, clientID: String, parameters: String, createdAt: Date, expiresAt: Date, usedAt: Date? = nil) {
        self.idHash = idHash
        self.kind = kind
        self.clientID = clientID
        self.parameters = parameters
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// An authorization code (RFC 6749 §4.1.2): stored only as a hash, single use, short-lived. The
/// grant identifier is chosen when the code is made so that a replay can revoke what it issued.
public struct AuthorizationCodeRecord: Sendable, Hashable {
    public var codeHash: String
    public var clientID: String
    public var grantID: String
    /// What was approved (request, subject, scope, auth time), as JSON text.
    public var payload: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(codeHash: String, clientID: String, grantID: String, payload: String, createdAt: Date, expiresAt: Date, usedAt: Date? = nil)
    {
        self.codeHash = codeHash
        self.clientID = clientID
        self.grantID = grantID
        self.payload = payload
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// The outcome of redeeming an authorization code.
public enum CodeRedemption: Sendable, Hashable {
    /// First use, before expiry: the code is now marked used.
    case redeemed(AuthorizationCodeRecord)
    /// The code had already been used (RFC 6749 §4.1.2: revoke what it issued).
    case replayed(AuthorizationCodeRecord)
    /// Unknown or expired.
    case invalid
}

extension AuthorizationRequestRecord: InsertableRecord {
    static let table = "authorization_requests"
    static let columns = "id_hash, kind, client_id, parameters, created_at, expires_at, used_at"

    init(row: some StoredRow) throws {
        self.init(
            idHash: try row.text(0),
            kind: try row.text(1),
            clientID: try row.text(2),
            parameters: try row.text(3),
            createdAt: try row.date(4),
            expiresAt: try row.date(5),
            usedAt: try row.optionalDate(6)
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(idHash), .text(kind), .text(clientID), .text(parameters), .date(createdAt), .date(expiresAt), .date(usedAt)]
    }
}

extension AuthorizationCodeRecord: InsertableRecord {
    static let table = "authorization_codes"
    static let columns = "code_hash, client_id, grant_id, payload, created_at, expires_at, used_at"

    init(row: some StoredRow) throws {
        self.init(
            codeHash: try row.text(0),
            clientID: try row.text(1),
            grantID: try row.text(2),
            payload: try row.text(3),
            createdAt: try row.date(4),
            expiresAt: try row.date(5),
            usedAt: try row.optionalDate(6)
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(codeHash), .text(clientID), .text(grantID), .text(payload), .date(createdAt), .date(expiresAt), .date(usedAt)]
    }
}
