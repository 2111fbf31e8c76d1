public import Foundation

/// What the server remembers of a client it knows only by its metadata document URL
/// (draft-ietf-oauth-client-id-metadata-document §6): when it was first seen, and fingerprints of
/// the members whose change matters (keys, redirect URIs), with when each last changed.
public struct MetadataClientObservation: Sendable, Hashable {
    public var clientID: String
    public var firstSeenAt: Date
    public var lastFetchedAt: Date
    /// SHA-256 of the document's `jwks`/`jwks_uri`, base64url.
    public var keysFingerprint: String
    /// SHA-256 of the document's `redirect_uris`, base64url.
    public var redirectURIsFingerprint: String
    /// When the keys last changed: the document's `jwks`/`jwks_uri`, or the key set fetched from that `jwks_uri`.
    public var keysChangedAt: Date?
    public var redirectURIsChangedAt: Date?
    /// SHA-256 of the sorted RFC 7638 thumbprints of the key set last fetched from the document's `jwks_uri`, base64url.
    public var keySetFingerprint: String?

    public init(
        clientID: String,
        firstSeenAt: Date,
        lastFetchedAt: Date,
        keysFingerprint: String,
        redirectURIsFingerprint: String,
        keysChangedAt: Date? = nil,
        redirectURIsChangedAt: Date? = nil,
        keySetFingerprint: String? = nil
    ) {
        self.clientID = clientID
        self.firstSeenAt = firstSeenAt
        self.lastFetchedAt = lastFetchedAt
        self.keysFingerprint = keysFingerprint
        self.redirectURIsFingerprint = redirectURIsFingerprint
        self.keysChangedAt = keysChangedAt
        self.redirectURIsChangedAt = redirectURIsChangedAt
        self.keySetFingerprint = keySetFingerprint
    }
}

/// An outstanding client challenge (draft-kahrer-oauth-client-challenge-protocol §4): stored before
/// the `challenge_session` reaches the client, consumed once by the retry.
public struct ClientChallengeRecord: Sendable, Hashable {
    /// SHA-256 of the `challenge_session`, base64url; the session itself is never stored.
    public var sessionHash: String
    public var clientID: String
    /// The JWK thumbprint of the key the client proved with the challenged request (DPoP), if any.
    public var keyThumbprint: String?
    /// Digest of the challenged request's grant parameters; the retry must match it.
    public var requestDigest: String
    /// The `authorization_requirement` object sent, as JSON text.
    public var requirement: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(
        sessionHash: String,
        clientID: String,
        keyThumbprint: String?,
        requestDigest: String,
        requirement: String,
        issuedAt: Date,
        expiresAt: Date,
        usedAt: Date? = nil
    ) {
        self.sessionHash = sessionHash
        self.clientID = clientID
        self.keyThumbprint = keyThumbprint
        self.requestDigest = requestDigest
        self.requirement = requirement
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

extension MetadataClientObservation: StoredRecord {
    static let columns =
        "client_id, first_seen_at, last_fetched_at, keys_fingerprint, redirect_uris_fingerprint, keys_changed_at, redirect_uris_changed_at, key_set_fingerprint"

    init(row: some StoredRow) throws {
        self.init(
            clientID: try row.text(0),
            firstSeenAt: try row.date(1),
            lastFetchedAt: try row.date(2),
            keysFingerprint: try row.text(3),
            redirectURIsFingerprint: try row.text(4),
            keysChangedAt: try row.optionalDate(5),
            redirectURIsChangedAt: try row.optionalDate(6),
            keySetFingerprint: try row.optionalText(7)
        )
    }
}

extension ClientChallengeRecord: InsertableRecord {
    static let table = "client_challenges"
    static let columns = "session_hash, client_id, key_thumbprint, request_digest, requirement, issued_at, expires_at, used_at"

    init(row: some StoredRow) throws {
        self.init(
            sessionHash: try row.text(0),
            clientID: try row.text(1),
            keyThumbprint: try row.optionalText(2),
            requestDigest: try row.text(3),
            requirement: try row.text(4),
            issuedAt: try row.date(5),
            expiresAt: try row.date(6),
            usedAt: try row.optionalDate(7)
        )
    }

    func storedValues() -> [StoredValue] {
        [
            .text(sessionHash), .text(clientID), .text(keyThumbprint), .text(requestDigest), .text(requirement), .date(issuedAt),
            .date(expiresAt), .date(usedAt),
        ]
    }
}
