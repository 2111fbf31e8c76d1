import Crypto
public import Foundation
import HTTPMessageSignatures
public import TesseraProtocol
import TesseraStorage

/// Checks that a request proves possession of a key (RFC 9635 §7.3), for the `httpsig` method
/// (§7.3.1): the profile's covered components, `tag="gnap"`, a fresh `created`, no `alg`, `keyid`
/// equal to the JWK `kid`, Content-Digest over the body, and single-use nonces.
struct GNAPProofVerifier: Sendable {
    let replay: any ReplayCache
    let window: Duration
    let now: @Sendable () -> Date

    /// - Throws: ``GNAPError`` with `errorCode` (`invalid_client` on the grant endpoint, the context's code elsewhere).
    func verify(_ request: GNAPPresentedRequest, key: GNAPKey, errorCode: GNAPError.Code = .invalidClient) async throws {
        guard key.proof.method == "httpsig" else {
            throw GNAPError(errorCode, "key proof method '\(key.proof.method.prefix(32))' is not supported here (supported: httpsig)")
        }
        guard let jwk = key.jwk, let kid = jwk.kid else {
            throw GNAPError(errorCode, "httpsig needs a JWK with 'kid' and 'alg' (RFC 9635 §7.1)")
        }
        let algorithm: HTTPSignatureAlgorithm
        do {
            algorithm = try Self.algorithm(for: key)
        } catch {
            throw GNAPError(errorCode, error.message)
        }
        var verificationKey: HTTPVerificationKey
        do {
            let json = String(decoding: try JSONEncoder().encode(jwk), as: UTF8.self)
            verificationKey = try HTTPVerificationKey(jwk: json, algorithm: algorithm)
        } catch {
            throw GNAPError(errorCode, "the client key cannot be used for \(algorithm)")
        }
        verificationKey.keyID = kid
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.maximumAge = window
        policy.clockSkew = window
        if request.token != nil { policy.requiredComponents.append(.field("authorization")) }
        let verifier = HTTPMessageVerifier(
            policy: policy,
            keys: HTTPSignatureKeySet([verificationKey]),
            replayCache: NonceCache(replay: replay, namespace: "httpsig:" + ((try? jwk.thumbprint()) ?? kid), now: now),
            now: now
        )
        let result: HTTPSignatureVerificationResult
        do {
            result = try await verifier.verify(request.message)
        } catch {
            throw GNAPError(errorCode, "the key proof could not be checked")
        }
        if let failure = result.error {
            throw GNAPError(errorCode, "key proof rejected: \(failure.message.isEmpty ? failure.code.description : failure.message)")
        }
    }

    /// The signature algorithm: from the proof object's `alg`, else from the JWK `alg` (RFC 9635 §7.3.1).
    static func algorithm(for key: GNAPKey) throws(GNAPError) -> HTTPSignatureAlgorithm {
        if let name = key.proof.alg {
            guard let algorithm = HTTPSignatureAlgorithm(registryName: name), algorithm != .hmacSHA256 else {
                throw GNAPError(.invalidClient, "proof alg '\(name.prefix(32))' is not supported")
            }
            return algorithm
        }
        guard let name = key.jwk?.alg, name != "HS256", let algorithm = HTTPSignatureAlgorithm(jwsAlgorithm: name) else {
            throw GNAPError(.invalidClient, "the JWK 'alg' must be EdDSA, ES256, ES384, PS256, PS512 or RS256 (RFC 9635 §7.3.1)")
        }
        return algorithm
    }

    /// Single-use `nonce` values through the store's replay cache, for a few minutes.
    private struct NonceCache: HTTPSignatureReplayCache {
        let replay: any ReplayCache
        let namespace: String
        let now: @Sendable () -> Date

        func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool {
            try await replay.insertIfAbsent(namespace: namespace, value: nonce, expiresAt: max(expiresAt, now().addingTimeInterval(300)), now: now())
        }
    }
}
