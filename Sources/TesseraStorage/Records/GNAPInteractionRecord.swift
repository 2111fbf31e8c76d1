public import Foundation

/// The interaction of one pending GNAP grant (RFC 9635 §4): how the person reaches it (the
/// interaction URL's identifier, the user code), how the client is told it finished, and who may
/// approve it. Single use: `waiting` → `finished` (the person decided; an `interact_ref` exists) →
/// `used` (the client presented the `interact_ref`).
public struct GNAPInteractionRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case waiting
        case finished
        case used
    }

    /// Random identifier in the interaction URL (`/interact/{id}`); carries nothing sensitive.
    public var id: String
    public var grantID: String
    /// The user code, normalised (upper case, no separators), when a user-code mode was started.
    public var userCode: String?
    /// `redirect` or `push` (RFC 9635 §2.5.2), or `nil` when the client polls.
    public var finishMethod: String?
    public var finishURI: String?
    /// The client's nonce, first line of the hash base (RFC 9635 §4.2.3).
    public var clientNonce: String?
    /// The AS's nonce, sent as `interact.finish` (RFC 9635 §3.3).
    public var serverNonce: String
    /// `sha-256` or `sha-512`.
    public var hashMethod: String
    /// The resource owner this grant is routed to; `nil` lets any signed-in person decide.
    public var owner: String?
    /// The client's self-asserted display name and URI (RFC 9635 §2.3.2), shown on the consent page.
    public var clientName: String?
    public var clientURI: String?
    public var state: State
    /// SHA-256 of the `interact_ref`, once the person decided.
    public var interactRefHash: String?
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        id: String,
        grantID: String,
        userCode: String?,
        finishMethod: String?,
        finishURI: String?,
        clientNonce: String?,
        serverNonce: String,
        hashMethod: String,
        owner: String?,
        clientName: String? = nil,
        clientURI: String? = nil,
        state: State,
        interactRefHash: String?,
        createdAt: Date,
        expiresAt: Date
    ) {
        self.id = id
        self.grantID = grantID
        self.userCode = userCode
        self.finishMethod = finishMethod
        self.finishURI = finishURI
        self.clientNonce = clientNonce
        self.serverNonce = serverNonce
        self.hashMethod = hashMethod
        self.owner = owner
        self.clientName = clientName
        self.clientURI = clientURI
        self.state = state
        self.interactRefHash = interactRefHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What a resource owner decided on the consent page, applied to the grant and its interaction at once.
public struct GNAPInteractionDecision: Sendable, Hashable {
    public var approve: Bool
    /// Who decided (the signed-in username): the tokens' subject when approved.
    public var subject: String
    /// The grant request narrowed to what was approved (GNAPGrantRequest JSON); `nil` keeps it.
    public var narrowedRequest: String?
    /// SHA-256 of the new `interact_ref`.
    public var interactRefHash: String
    /// When the deciding person's session signed in (OpenID Connect Core §2 `auth_time`), stored with the grant.
    public var authenticatedAt: Date?
    /// The management ids of the grant's tokens this decision does not stand behind (issued to another
    /// person, or with rights the decision leaves out; all of them on a denial): revoked with the decision,
    /// in the same transaction (RFC 9635 §5.3).
    public var revoking: [String]

    public init(
        approve: Bool,
        subject: String,
        narrowedRequest: String?,
        interactRefHash: String,
        authenticatedAt: Date? = nil,
        revoking: [String] = []
    ) {
        self.approve = approve
        self.subject = subject
        self.narrowedRequest = narrowedRequest
        self.interactRefHash = interactRefHash
        self.authenticatedAt = authenticatedAt
        self.revoking = revoking
    }
}

extension GNAPInteractionRecord: InsertableRecord {
    static let table = "gnap_interactions"
    static let columns = """
        id, grant_id, user_code, finish_method, finish_uri, client_nonce, server_nonce, hash_method, owner, client_name, client_uri, state,
        interact_ref_hash, created_at, expires_at
        """

    /// An unknown state reads as `used`: the interaction can no longer be acted on.
    init(row: some StoredRow) throws {
        self.init(
            id: try row.text(0),
            grantID: try row.text(1),
            userCode: try row.optionalText(2),
            finishMethod: try row.optionalText(3),
            finishURI: try row.optionalText(4),
            clientNonce: try row.optionalText(5),
            serverNonce: try row.text(6),
            hashMethod: try row.text(7),
            owner: try row.optionalText(8),
            clientName: try row.optionalText(9),
            clientURI: try row.optionalText(10),
            state: State(rawValue: try row.text(11)) ?? .used,
            interactRefHash: try row.optionalText(12),
            createdAt: try row.date(13),
            expiresAt: try row.date(14)
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(id), .text(grantID), .text(userCode), .text(finishMethod), .text(finishURI), .text(clientNonce), .text(serverNonce),
            .text(hashMethod), .text(owner), .text(clientName), .text(clientURI), .text(state.rawValue), .text(interactRefHash),
            .date(createdAt), .date(expiresAt),
        ]
    }
}
