import Foundation
import TesseraEngine
import TesseraProtocol

/// The `dpop:` section of the config file (RFC 9449):
///
/// ```yaml
/// dpop:
///   require_nonce: true          # answer use_dpop_nonce until proofs carry a server nonce
///   nonce_secret: "<base64url, 32+ bytes>"   # shared by every instance behind one issuer
///   nonce_period: 300            # seconds; a nonce is accepted for one to two periods
///   proof_window: 60             # seconds a proof's iat may be old (or ahead)
///   algorithms: [ES256, EdDSA]   # subset of ES256 ES384 EdDSA RS256 PS256
/// ```
struct FileDPoP: StrictlyDecodable {
    var requireNonce: Bool?
    var nonceSecret: String?
    var noncePeriod: Double?
    var proofWindow: Double?
    var algorithms: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case requireNonce = "require_nonce"
        case nonceSecret = "nonce_secret"
        case noncePeriod = "nonce_period"
        case proofWindow = "proof_window"
        case algorithms
    }

    func apply(to dpop: inout DPoPConfiguration) throws(ConfigurationError) {
        if let requireNonce { dpop.requireNonce = requireNonce }
        if let nonceSecret {
            guard let secret = Base64URL.decode(nonceSecret) else {
                throw ConfigurationError(field: "dpop.nonce_secret", "must be base64url (unpadded)")
            }
            dpop.nonceSecret = secret
        }
        if let noncePeriod { dpop.noncePeriod = noncePeriod }
        if let proofWindow { dpop.proofWindow = proofWindow }
        if let algorithms { dpop.algorithms = Set(algorithms.map(JWSAlgorithm.init(rawValue:))) }
    }
}

extension ServerConfiguration {
    /// Checks the `dpop:` settings. - Throws: ``ConfigurationError`` naming the field.
    func validateDPoP() throws(ConfigurationError) {
        guard !dpop.algorithms.isEmpty, dpop.algorithms.isSubset(of: JWSAlgorithm.asymmetric) else {
            throw ConfigurationError(
                field: "dpop.algorithms",
                "must be a non-empty subset of \(JWSAlgorithm.asymmetric.map(\.rawValue).sorted().joined(separator: ", ")) (never none or HS*)"
            )
        }
        try require((5...600).contains(dpop.proofWindow), "dpop.proof_window", "must be 5 to 600 seconds")
        try require((10...86_400).contains(dpop.noncePeriod), "dpop.nonce_period", "must be 10 to 86400 seconds")
        if let secret = dpop.nonceSecret, secret.count < 32 {
            throw ConfigurationError(field: "dpop.nonce_secret", "must be at least 32 bytes")
        }
    }
}
