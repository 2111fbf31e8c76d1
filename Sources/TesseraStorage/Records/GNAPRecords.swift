public import Foundation

/// A GNAP grant as stored (RFC 9635 §1.5 lifecycle). `processing` is never stored: the engine
/// decides within one request and stores the state it leaves in.
public struct GNAPGrantRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Waiting for the resource owner (approval out of band or interaction).
        case pending
        /// Tokens may be issued.
        case approved
        /// The resource owner said no; the next continuation answers `user_denied` and finalizes.
        case denied
        /// Terminal (RFC 9635 §1.5): nothing more happens.
        case finalized
    }

    public var id: String
    public var state: State
    /// The client's key (GNAPKey JSON) that every continuation must prove.
    public var clientKey: String
    public var keyThumbprint: String
    public var instanceID: String?
    /// The grant request (GNAPGrantRequest JSON, without `client`).
    public var request: String
    /// SHA-256 of the current continuation token; `nil` when no continuation is allowed.
    public var continuationHash: String?
    /// The earliest time the client may continue (`wait`, RFC 9635 §5).
    public var continueAfter: Date
    /// Who approved (the resource owner's subject), once approved.
    public var subject: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var expiresAt: Date
    /// When the person who approved signed in at this server (OpenID Connect Core §2 `auth_time`): their
    /// session's sign-in, recorded when they decided at the consent page. `nil` when nobody authenticated
    /// here — an out-of-band approval (`tessera gnap approve`), or an instance approved by its own policy.
    public var authenticatedAt: Date?
    /// When the approval the grant now stands on was given: the person's decision (consent page or out of band), or the
    /// instance's own policy when it approved. Every token minted under that approval counts a Cedar-profile right's
    /// `valid_for` window from here (docs/rar-cedar.md: "grant time + N seconds"), however often the grant is
    /// continued; only a new approval moves it. `nil` while nobody approved, and for grants stored before it existed.
    public var approvedAt: Date?

    public init(
        id: String,
        state: State,
        clientKey: String,
        keyThumbprint: String,
        instanceID: String?,
        request: String,
        continuationHash: String?,
        continueAfter: Date,
        subject: String?,
        createdAt: Date,
        updatedAt: Date,
        expiresAt: Date,
        authenticatedAt: Date? = nil,
        approvedAt: Date? = nil
    ) {
        self.id = id
        self.state = state
        self.clientKey = clientKey
        self.keyThumbprint = keyThumbprint
        self.instanceID = instanceID
        self.request = request
        self.continuationHash = continuationHash
        self.continueAfter = continueAfter
        self.subject = subject
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
        self.authenticatedAt = authenticatedAt
        self.approvedAt = approvedAt
    }
}

/// A GNAP access token's management record (RFC 9635 §6): the access token itself is an
/// ``AccessTokenRecord`` (by `jti`) in the same grant.
public struct GNAPTokenRecord: Sendable, Hashable {
    public var manageID: String
    /// SHA-256 of the current token-management access token.
    public var managementHash: String
    public var grantID: String
    /// The `jti` of the current access token value (changes on rotation).
    public var jti: String
    public var label: String?
    /// The granted access (JSON array, RFC 9635 §8).
    public var access: String
    public var flags: [String]
    public var createdAt: Date
    public var revokedAt: Date?

    public init(
        manageID: String,
        managementHash: String,
        grantID: String,
        jti: String,
        label: String?,
        access: String,
        flags: [String],
        createdAt: Date,
        revokedAt: Date? = nil
    ) {
        self.manageID = manageID
        self.managementHash = managementHash
        self.grantID = grantID
        self.jti = jti
        self.label = label
        self.access = access
        self.flags = flags
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// One issued GNAP token: its management record and its access-token record, stored together.
public struct GNAPIssuedToken: Sendable, Hashable {
    public var token: GNAPTokenRecord
    public var accessToken: AccessTokenRecord

    public init(token: GNAPTokenRecord, accessToken: AccessTokenRecord) {
        self.token = token
        self.accessToken = accessToken
    }
}

extension GNAPGrantRecord: InsertableRecord {
    static let table = "gnap_grants"
    static let columns = """
        id, state, client_key, key_thumbprint, instance_id, request, continuation_hash, continue_after, subject, created_at, updated_at, expires_at,
        authenticated_at, approved_at
        """

    /// An unknown state reads as `finalized`: nothing more can be done with the grant.
    init(row: some StoredRow) throws {
        self.init(
            id: try row.text(0),
            state: State(rawValue: try row.text(1)) ?? .finalized,
            clientKey: try row.text(2),
            keyThumbprint: try row.text(3),
            instanceID: try row.optionalText(4),
            request: try row.text(5),
            continuationHash: try row.optionalText(6),
            continueAfter: try row.date(7),
            subject: try row.optionalText(8),
            createdAt: try row.date(9),
            updatedAt: try row.date(10),
            expiresAt: try row.date(11),
            authenticatedAt: try row.optionalDate(12),
            approvedAt: try row.optionalDate(13)
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(id), .text(state.rawValue), .text(clientKey), .text(keyThumbprint), .text(instanceID), .text(request),
            .text(continuationHash),
            .date(continueAfter), .text(subject), .date(createdAt), .date(updatedAt), .date(expiresAt), .date(authenticatedAt),
            .date(approvedAt),
        ]
    }
}

extension GNAPTokenRecord: InsertableRecord {
    static let table = "gnap_tokens"
    static let columns = "manage_id, management_hash, grant_id, jti, label, access, flags, created_at, revoked_at"

    init(row: some StoredRow) throws {
        self.init(
            manageID: try row.text(0),
            managementHash: try row.text(1),
            grantID: try row.text(2),
            jti: try row.text(3),
            label: try row.optionalText(4),
            access: try row.text(5),
            flags: try row.list(6, separator: " "),
            createdAt: try row.date(7),
            revokedAt: try row.optionalDate(8)
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(manageID), .text(managementHash), .text(grantID), .text(jti), .text(label), .text(access), .list(flags, separator: " "),
            .date(createdAt), .date(revokedAt),
        ]
    }
}
