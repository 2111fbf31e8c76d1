public import Foundation
public import TesseraProtocol

/// DPoP at the token endpoint (RFC 9449 §5, §8): algorithms, proof window and server nonces.
public struct DPoPConfiguration: Sendable {
    /// Algorithms accepted for proofs and advertised as `dpop_signing_alg_values_supported`.
    public var algorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric
    /// How old a proof may be, and how far in the future its `iat` may lie, in seconds.
    public var proofWindow: TimeInterval = 60
    /// When true, every proof must carry a current server nonce (`use_dpop_nonce` otherwise).
    public var requireNonce = false
    /// The secret nonces are derived from. Instances behind one issuer must share it; when
    /// `nil`, each process makes its own (fine for a single instance).
    public var nonceSecret: Data?
    /// How long one nonce period lasts; a nonce is accepted for one to two periods.
    public var noncePeriod: TimeInterval = 300

    public init() {}
}
