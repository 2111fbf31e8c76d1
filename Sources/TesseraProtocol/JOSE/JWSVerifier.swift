public import Foundation
import JWTKit

/// Verifies compact JWS signatures against a fixed set of public keys, with an algorithm allow-list.
///
/// The rules of RFC 8725 §3.1–3.2: `alg` must be in the allow-list (so `none` and HMAC with a
/// public key as secret are refused before any key is touched), must agree with the key's own
/// `alg` and type, and `crit` members Tessera does not understand are refused (RFC 7515 §4.1.11).
/// Keys are picked by `kid`; without a `kid` only a set with exactly one key is tried.
public struct JWSVerifier: Sendable {
    private struct KeyEntry: Sendable {
        let kid: String?
        let verifiers: [JWSAlgorithm: any JWTAlgorithm]
    }

    private let entries: [KeyEntry]
    public let allowedAlgorithms: Set<JWSAlgorithm>

    /// - Throws: ``JOSEError`` `invalidKey` when a key cannot be used for any allowed algorithm.
    public init(keys: PublicJWKSet, allowedAlgorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric) async throws(JOSEError) {
        self.allowedAlgorithms = allowedAlgorithms
        var entries: [KeyEntry] = []
        for (index, key) in keys.keys.enumerated() {
            if let use = key.use, use != "sig" { continue }
            var verifiers: [JWSAlgorithm: any JWTAlgorithm] = [:]
            for algorithm in Self.algorithms(for: key) where allowedAlgorithms.contains(algorithm) {
                if let declared = key.alg, declared != algorithm.rawValue { continue }
                verifiers[algorithm] = try await Self.makeVerifier(key, algorithm: algorithm, index: index)
            }
            guard !verifiers.isEmpty else {
                throw JOSEError(.invalidKey, "key \(key.kid ?? "#\(index)") is usable with none of the allowed algorithms")
            }
            entries.append(KeyEntry(kid: key.kid, verifiers: verifiers))
        }
        self.entries = entries
    }

    /// Verifies the signature and returns the payload bytes. Claims are the caller's to check.
    /// - Parameters:
    ///   - jws: the parsed compact JWS.
    ///   - expectedType: when set, the header `typ` must equal it (case-insensitively, RFC 7515 §4.1.9,
    ///     with or without the `application/` prefix).
    /// - Returns: The payload bytes.
    /// - Throws: ``JOSEError`` naming the failed check (algorithm, `crit`, `typ`, key, signature).
    public func verify(_ jws: CompactJWS, expectedType: String? = nil) throws(JOSEError) -> Data {
        let algorithm = JWSAlgorithm(rawValue: jws.header.alg)
        guard allowedAlgorithms.contains(algorithm) else {
            throw JOSEError(.algorithmNotAllowed, "JWS algorithm '\(Self.printable(jws.header.alg))' is not allowed")
        }
        if let crit = jws.header.crit, !crit.isEmpty {
            throw JOSEError(.unsupportedCritical, "JWS header lists critical extensions Tessera does not support")
        }
        if let expectedType {
            guard let typ = jws.header.typ, Self.typeMatches(typ, expectedType) else {
                throw JOSEError(.typeMismatch, "JWS 'typ' must be '\(expectedType)'")
            }
        }
        let candidates: [KeyEntry]
        if let kid = jws.header.kid {
            candidates = entries.filter { $0.kid == kid }
        } else {
            candidates = entries.count == 1 ? entries : []
        }
        guard !candidates.isEmpty else {
            throw JOSEError(
                .unknownKey,
                jws.header.kid == nil ? "JWS has no 'kid' and the key set has more than one key" : "no key matches the JWS 'kid'"
            )
        }
        for entry in candidates {
            guard let verifier = entry.verifiers[algorithm] else { continue }
            if (try? verifier.verify(jws.signature, signs: jws.signingInput)) == true { return jws.payload }
        }
        throw JOSEError(.badSignature, "JWS signature does not verify")
    }

    /// Whether a key with this `kid` is in the set.
    public func knows(kid: String) -> Bool { entries.contains { $0.kid == kid } }

    /// The number of usable keys.
    public var keyCount: Int { entries.count }

    package static func algorithms(for key: PublicJWK) -> [JWSAlgorithm] {
        switch (key.kty, key.crv) {
        case ("EC", "P-256"): [.es256]
        case ("EC", "P-384"): [.es384]
        case ("OKP", "Ed25519"): [.edDSA]
        case ("RSA", _): [.rs256, .ps256]
        default: []
        }
    }

    private static func makeVerifier(_ key: PublicJWK, algorithm: JWSAlgorithm, index: Int) async throws(JOSEError) -> any JWTAlgorithm {
        do {
            var publicOnly = key
            publicOnly.kid = "k\(index)"
            publicOnly.alg = algorithm.rawValue
            publicOnly.use = nil
            let jwk = try JWK(json: String(decoding: try JSONEncoder().encode(publicOnly), as: UTF8.self))
            if key.kty == "RSA", let n = key.n, let modulus = Base64URL.decode(n), modulus.count < 256 {
                throw JOSEError(.invalidKey, "RSA keys must be at least 2048 bits")
            }
            let collection = JWTKeyCollection()
            try await collection.add(jwk: jwk)
            return try await collection.getKey(for: JWKIdentifier(string: "k\(index)"), alg: algorithm.rawValue)
        } catch let error as JOSEError {
            throw error
        } catch {
            throw JOSEError(.invalidKey, "key \(key.kid ?? "#\(index)") is not a valid \(key.kty) key")
        }
    }

    private static func typeMatches(_ typ: String, _ expected: String) -> Bool {
        let normalized = typ.lowercased()
        let wanted = expected.lowercased()
        return normalized == wanted || normalized == "application/" + wanted
    }

    private static func printable(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "'" }.prefix(32))
    }
}
