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
    public var keysChangedAt: Date?
    public var redirectURIsChangedAt: Date?

    public init(
        clientID: String,
        firstSeenAt: Date,
        lastFetchedAt: Date,
        keysFingerprint: String,
        redirectURIsFingerprint: String,
        keysChangedAt: Date? = nil,
        redirectURIsChangedAt: Date? = nil
    ) {
        self.clientID = clientID
        self.firstSeenAt = firstSeenAt
        self.lastFetchedAt = lastFetchedAt
        self.keysFingerprint = keysFingerprint
        self.redirectURIsFingerprint = redirectURIsFingerprint
        self.keysChangedAt = keysChangedAt
        self.redirectURIsChangedAt = redirectURIsChangedAt
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
