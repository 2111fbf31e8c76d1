public import Foundation

/// First sight and change history of clients identified by metadata document URLs.
public protocol ClientMetadataStore: Sendable {
    /// Records a successful fetch: creates the observation on first sight, otherwise keeps
    /// `firstSeenAt` and stamps `keysChangedAt` / `redirectURIsChangedAt` when a fingerprint differs
    /// from the stored one. - Returns: the observation as stored afterwards.
    func observe(
        clientID: String,
        keysFingerprint: String,
        redirectURIsFingerprint: String,
        at now: Date
    ) async throws
        -> MetadataClientObservation
    func observation(clientID: String) async throws -> MetadataClientObservation?
    /// Records the fingerprint of the key set fetched from the client's `jwks_uri` and stamps `keysChangedAt`
    /// when it differs from the one recorded before (a first one stamps nothing).
    /// - Returns: the observation as stored afterwards; nil when the client was never observed.
    func observeKeySet(clientID: String, fingerprint: String, at now: Date) async throws -> MetadataClientObservation?
}

/// Outstanding client challenges.
public protocol ClientChallengeStore: Sendable {
    func insert(_ challenge: ClientChallengeRecord) async throws
    /// The challenge, used or not, read without spending it: a retry is checked before its session is spent.
    func challenge(sessionHash: String) async throws -> ClientChallengeRecord?
    /// Marks the challenge used, atomically, so two retries with one session cannot both pass — but only for the
    /// client it was issued to: another client presenting it spends nothing (it cannot burn the rightful retry).
    func consume(sessionHash: String, clientID: String, at now: Date) async throws -> ClientChallengeConsumption
}

/// What ``ClientChallengeStore/consume(sessionHash:clientID:at:)`` found.
public enum ClientChallengeConsumption: Sendable, Hashable {
    /// Unused until now, and now used. The record may still be expired; the caller checks.
    case consumed(ClientChallengeRecord)
    /// It was used before.
    case alreadyUsed(ClientChallengeRecord)
    /// It was issued to another client; nothing was spent.
    case issuedToAnotherClient
    case unknown
}
