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
        authenticatedAt: Date? = nil
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
