import Crypto
import Foundation
public import TesseraProtocol
import TesseraStorage

/// Verifies DPoP proofs sent to the authorization server (RFC 9449 §4.3, §5): the stateless
/// checks, then the server nonce (§8) and the `jti` replay cache, shared by every instance
/// through the store's ``ReplayCache``.
public struct DPoPService: Sendable {
    public let configuration: DPoPConfiguration
    let verifier: DPoPProofVerifier
    let nonces: DPoPNonces
    let replay: any ReplayCache
    let now: @Sendable () -> Date

    init(configuration: DPoPConfiguration, replay: any ReplayCache, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.verifier = DPoPProofVerifier(
            allowedAlgorithms: configuration.algorithms,
            maximumAge: configuration.proofWindow,
            allowedSkew: configuration.proofWindow
        )
        self.nonces = DPoPNonces(
            secret: configuration.nonceSecret ?? SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) },
            period: configuration.noncePeriod
        )
        self.replay = replay
        self.now = now
    }

    /// The algorithms proofs may use, sorted, for metadata and `algs` challenges.
    public var supportedAlgorithms: [String] { verifier.allowedAlgorithms.map(\.rawValue).sorted() }

    /// The nonce clients should put in their next proof, when nonces are required.
    public var currentNonce: String? { configuration.requireNonce ? nonces.current(now: now()) : nil }

    /// Verifies the `DPoP` header values of one request and returns the key to bind tokens to.
    /// - Returns: `nil` when the request carries no `DPoP` header (a bearer request).
    /// - Throws: ``OAuthError`` `invalid_dpop_proof` or `use_dpop_nonce`.
    public func confirmation(headerValues: [String], method: String, uri: String) async throws -> Confirmation? {
        guard !headerValues.isEmpty else { return nil }
        return Confirmation(jkt: try await verified(headerValues: headerValues, method: method, uri: uri, accessToken: nil))
    }

    /// Verifies the proof that comes with a DPoP-bound access token at a protected resource of this server (RFC 9449
    /// §7.1): the checks of ``confirmation(headerValues:method:uri:)`` and the `ath` of the token presented (§4.3 step 12).
    /// - Parameters:
    ///   - presentation: the request's `DPoP` header values, method and URL.
    ///   - accessToken: the access token presented with the proof.
    /// - Returns: the thumbprint of the key that signed the proof.
    /// - Throws: ``OAuthError`` `invalid_dpop_proof` or `use_dpop_nonce`.
    public func keyProving(_ presentation: DPoPPresentation, accessToken: String) async throws -> String {
        try await verified(
            headerValues: presentation.headerValues,
            method: presentation.method,
            uri: presentation.uri,
            accessToken: accessToken
        )
    }

    /// The stateless checks, the nonce and the replay cache; the proof key's thumbprint.
    private func verified(headerValues: [String], method: String, uri: String, accessToken: String?) async throws -> String {
        let now = now()
        let proof = try await verifier.verify(headerValues: headerValues, method: method, uri: uri, accessToken: accessToken, now: now)
        if configuration.requireNonce {
            guard let nonce = proof.nonce else {
                throw OAuthError(.useDPoPNonce, "this server requires a nonce in DPoP proofs; use the DPoP-Nonce response header")
            }
            guard nonces.isValid(nonce, now: now) else {
                throw OAuthError(.useDPoPNonce, "the DPoP proof nonce is unknown or expired; use the DPoP-Nonce response header")
            }
        }
        let fresh = try await replay.insertIfAbsent(
            namespace: "dpop-jti",
            value: proof.jkt + ":" + proof.jti,
            expiresAt: verifier.replayWindowEnd(for: proof),
            now: now
        )
        guard fresh else { throw OAuthError(.invalidDPoPProof, "the DPoP proof was already used (replayed 'jti')") }
        return proof.jkt
    }
}

/// A DPoP proof as a protected resource received it (RFC 9449 §7.1): the `DPoP` header values, the request's method
/// and the resource's URL as clients know it (`htm`, `htu`).
public struct DPoPPresentation: Sendable {
    public var headerValues: [String]
    public var method: String
    public var uri: String

    public init(headerValues: [String], method: String, uri: String) {
        self.headerValues = headerValues
        self.method = method
        self.uri = uri
    }
}
