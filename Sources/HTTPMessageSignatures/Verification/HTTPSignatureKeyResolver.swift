public import Foundation

/// Finds the key for a signature (RFC 9421 §3.2 step 5). Return `nil` for an unknown or untrusted key: the
/// verification then fails with ``HTTPSignatureError/Code/unknownKey``. Throw only for infrastructure failures.
public protocol HTTPSignatureKeyResolver: Sendable {
    /// The key for `keyID` (the `keyid` parameter, `nil` if absent), given the signature's parameters.
    func verificationKey(keyID: String?, parameters: HTTPSignatureParameters) async throws -> HTTPVerificationKey?
}

/// Records nonces to detect replays (RFC 9421 §7.2.2). Implementations must insert atomically (insert-if-absent
/// under a unique key), so that two concurrent requests with one nonce cannot both succeed.
public protocol HTTPSignatureReplayCache: Sendable {
    /// Records `nonce` for `keyID` until `expiresAt`.
    ///
    /// - Returns: `true` if the nonce was new, `false` if it was seen before (a replay).
    func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool

    /// Records the digest of a nonce-less signature's base for `keyID` until `expiresAt`
    /// (``HTTPSignatureVerificationPolicy/singleUseSignatureBase``).
    ///
    /// - Returns: `true` if the base was new, `false` if it was seen before (a replay).
    func insertIfAbsent(signatureBaseDigest: String, keyID: String?, expiresAt: Date) async throws -> Bool
}

extension HTTPSignatureReplayCache {
    /// Records the digest beside the nonces, under a prefix no generated nonce has. A signer choosing that
    /// prefix as a nonce can only collide with its own signatures (the caches are per key).
    public func insertIfAbsent(signatureBaseDigest: String, keyID: String?, expiresAt: Date) async throws -> Bool {
        try await insertIfAbsent(nonce: "sha-256:" + signatureBaseDigest, keyID: keyID, expiresAt: expiresAt)
    }
}

/// A fixed set of verification keys, looked up by `keyid`.
public struct HTTPSignatureKeySet: HTTPSignatureKeyResolver {
    private let keys: [String: HTTPVerificationKey]

    /// Creates a key set; each key needs a ``HTTPVerificationKey/keyID``; keys without one are ignored.
    public init(_ keys: [HTTPVerificationKey]) {
        var byID: [String: HTTPVerificationKey] = [:]
        for key in keys { if let id = key.keyID { byID[id] = key } }
        self.keys = byID
    }

    public func verificationKey(keyID: String?, parameters: HTTPSignatureParameters) async throws -> HTTPVerificationKey? {
        guard let keyID else { return nil }
        return keys[keyID]
    }
}
