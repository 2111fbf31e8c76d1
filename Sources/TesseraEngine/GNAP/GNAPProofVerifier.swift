import Crypto
import Foundation
import HTTPMessageSignatures
import Synchronization
import TesseraProtocol
import TesseraStorage

/// Checks that a request proves possession of a key (RFC 9635 §7.3), for the `httpsig` method
/// (§7.3.1): the profile's covered components, `tag="gnap"`, a fresh `created`, no `alg`, `keyid`
/// equal to the JWK `kid`, Content-Digest over the body, and single-use nonces.
/// `mtls` (§7.3.2) compares the presented TLS client certificate with the key's.
struct GNAPProofVerifier: Sendable {
    let replay: any ReplayCache
    let window: Duration
    let now: @Sendable () -> Date
    /// Imported keys by thumbprint and algorithm: safe to lose, it only saves re-importing a JWK per request.
    let keys = VerificationKeyCache()

    /// Whether the server can see client certificates (native TLS or a trusted proxy), so `mtls` is offered.
    var mutualTLS = false

    var supportedMethods: [String] { mutualTLS ? ["httpsig", "mtls", "jwsd", "jws"] : ["httpsig", "jwsd", "jws"] }

    /// - Parameters:
    ///   - request: The request as received.
    ///   - key: The key it must prove.
    ///   - errorCode: The refusal's code.
    ///   - deferred: Where an `httpsig` proof's nonce (or single-use signature base) goes instead of the replay cache,
    ///     for a caller that spends it in the commit recording what the request asked for (the grant endpoint, issue
    ///     22); `nil` spends it here, before this returns.
    ///   - thumbprint: The key's thumbprint when the caller has it (``GNAPService/thumbprint(of:)``); computed here
    ///     otherwise.
    /// - Throws: ``GNAPError`` with `errorCode` (`invalid_client` on the grant endpoint, the context's code elsewhere).
    func verify(
        _ request: GNAPPresentedRequest,
        key: GNAPKey,
        errorCode: GNAPError.Code = .invalidClient,
        deferringNoncesTo deferred: DeferredNonces? = nil,
        thumbprint: String? = nil
    ) async throws {
        if request.attachedJWS != nil, key.proof.method != "jws" {
            throw GNAPError(
                errorCode,
                "an application/jose body is only for the jws proof method; this key proves with \(key.proof.method.prefix(32))"
            )
        }
        switch key.proof.method {
        case "jwsd":
            try await verifyDetachedJWS(request, key: key, errorCode: errorCode, typ: "gnap-binding-jwsd")
            return
        case "jws":
            if let attached = request.attachedJWS {
                try await verifyAttachedJWS(attached, request, key: key, errorCode: errorCode)
            } else {
                guard request.body.isEmpty else {
                    throw GNAPError(errorCode, "with the jws proof a request body is sent as application/jose (RFC 9635 §7.3.4)")
                }
                try await verifyDetachedJWS(request, key: key, errorCode: errorCode, typ: "gnap-binding-jws")
            }
            return
        case "mtls":
            try verifyMutualTLS(request, key: key, errorCode: errorCode)
            return
        case "httpsig":
            break
        default:
            throw GNAPError(
                errorCode,
                "key proof method '\(key.proof.method.prefix(32))' is not supported here (supported: \(supportedMethods.joined(separator: ", ")))"
            )
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
        // A JWK-only key's thumbprint is its JWK's (GNAPService.thumbprint(of:)).
        let thumbprint = (key.cert == nil && key.certS256 == nil ? thumbprint : nil) ?? (try? jwk.thumbprint()) ?? kid
        var verificationKey: HTTPVerificationKey
        if let cached = keys.key(thumbprint + "|" + algorithm.description) {
            verificationKey = cached
        } else {
            do {
                let json = String(decoding: try JSONEncoder().encode(jwk), as: UTF8.self)
                verificationKey = try HTTPVerificationKey(jwk: json, algorithm: algorithm)
            } catch {
                throw GNAPError(errorCode, "the client key cannot be used for \(algorithm)")
            }
            keys.store(verificationKey, for: thumbprint + "|" + algorithm.description)
        }
        verificationKey.keyID = kid
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.maximumAge = window
        policy.clockSkew = window
        if request.token != nil { policy.requiredComponents.append(.field("authorization")) }
        let verifier = HTTPMessageVerifier(
            policy: policy,
            keys: HTTPSignatureKeySet([verificationKey]),
            replayCache: NonceCache(replay: replay, namespace: "httpsig:" + thumbprint, now: now, deferred: deferred),
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

    /// `mtls` (RFC 9635 §7.3.2): the TLS client certificate of this request must be the key's `cert`
    /// (or have its `cert#S256` thumbprint). TLS covers the whole message, so nothing else is checked.
    private func verifyMutualTLS(_ request: GNAPPresentedRequest, key: GNAPKey, errorCode: GNAPError.Code) throws(GNAPError) {
        guard mutualTLS else {
            throw GNAPError(
                errorCode,
                "key proof method 'mtls' is not supported here: this server sees no client certificates (supported: \(supportedMethods.joined(separator: ", ")))"
            )
        }
        guard key.cert != nil || key.certS256 != nil else {
            throw GNAPError(errorCode, "the mtls proof needs a key in the 'cert' or 'cert#S256' format (RFC 9635 §7.1)")
        }
        guard let presented = request.clientCertificate else {
            throw GNAPError(
                errorCode,
                "the mtls proof needs a TLS client certificate on the connection, and none was presented (RFC 9635 §7.3.2)"
            )
        }
        guard presented.matches(key) else {
            throw GNAPError(errorCode, "the TLS client certificate is not the key's certificate (RFC 9635 §7.3.2)")
        }
    }

    /// `jwsd` (RFC 9635 §7.3.3): a detached JWS in `Detached-JWS` whose protected header binds the
    /// method (`htm`), target URI (`uri`), time (`created`) and presented token (`ath`), and whose
    /// payload is the base64url SHA-256 of the body. The payload may be sent detached (`header..sig`).
    private func verifyDetachedJWS(
        _ request: GNAPPresentedRequest,
        key: GNAPKey,
        errorCode: GNAPError.Code,
        typ expectedType: String
    ) async throws {
        guard let jwk = key.jwk, let kid = jwk.kid, let alg = jwk.alg, alg != "none", !alg.hasPrefix("HS") else {
            throw GNAPError(errorCode, "jwsd needs a public JWK with 'kid' and an asymmetric 'alg' (RFC 9635 §7.1)")
        }
        let headers = request.message.headerFields.filter { $0.name.lowercased() == "detached-jws" }
        guard headers.count == 1, let detached = headers.first?.value else {
            throw GNAPError(errorCode, "jwsd requests carry exactly one Detached-JWS header (RFC 9635 §7.3.3)")
        }
        let body = request.body
        let payload = body.isEmpty ? "" : Base64URL.encode(SHA256.hash(data: Data(body)))
        var parts = detached.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw GNAPError(errorCode, "Detached-JWS is not a compact JWS") }
        if parts[1].isEmpty {
            parts[1] = payload
        } else if parts[1] != payload {
            throw GNAPError(errorCode, "the Detached-JWS payload is not the SHA-256 of the body")
        }
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: parts.joined(separator: ".")) } catch {
            throw GNAPError(errorCode, "Detached-JWS: \(error.message)")
        }
        guard jws.header.alg == alg, jws.header.kid == kid else {
            throw GNAPError(errorCode, "Detached-JWS 'alg' and 'kid' must be the client key's")
        }
        do {
            let verifier = try await JWSVerifier(keys: PublicJWKSet(keys: [jwk]))
            _ = try verifier.verify(jws)
        } catch {
            throw GNAPError(errorCode, "Detached-JWS signature does not verify")
        }
        try await checkBinding(
            header: parts[0],
            signingInput: jws.signingInput,
            request,
            jwk: jwk,
            kid: kid,
            typ: expectedType,
            errorCode: errorCode,
            what: "Detached-JWS"
        )
    }

    /// `jws` (RFC 9635 §7.3.4) with a body: the body is a compact JWS whose payload is the JSON
    /// request, signed by the client key, its header binding method, URI, time and token as for jwsd.
    private func verifyAttachedJWS(
        _ attached: String,
        _ request: GNAPPresentedRequest,
        key: GNAPKey,
        errorCode: GNAPError.Code
    ) async throws {
        guard let jwk = key.jwk, let kid = jwk.kid, let alg = jwk.alg, alg != "none", !alg.hasPrefix("HS") else {
            throw GNAPError(errorCode, "jws needs a public JWK with 'kid' and an asymmetric 'alg' (RFC 9635 §7.1)")
        }
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: attached) } catch { throw GNAPError(errorCode, "the attached JWS: \(error.message)") }
        guard jws.header.alg == alg, jws.header.kid == kid else {
            throw GNAPError(errorCode, "the attached JWS 'alg' and 'kid' must be the client key's")
        }
        do {
            _ = try await JWSVerifier(keys: PublicJWKSet(keys: [jwk])).verify(jws)
        } catch {
            throw GNAPError(errorCode, "the attached JWS signature does not verify")
        }
        let parts = attached.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        try await checkBinding(
            header: parts[0],
            signingInput: jws.signingInput,
            request,
            jwk: jwk,
            kid: kid,
            typ: "gnap-binding-jws",
            errorCode: errorCode,
            what: "the attached JWS"
        )
    }

    /// The JOSE header fields both JWS proofs share (RFC 9635 §7.3.3): `typ`, `htm`, `uri`,
    /// `created` within the window, `ath` for a presented token; then what was signed is spent.
    private func checkBinding(
        header encoded: String,
        signingInput: Data,
        _ request: GNAPPresentedRequest,
        jwk: PublicJWK,
        kid: String,
        typ expectedType: String,
        errorCode: GNAPError.Code,
        what: String
    ) async throws {
        guard let header = try? JSONDecoder().decode(DetachedHeader.self, from: Base64URL.decode(encoded) ?? Data()) else {
            throw GNAPError(errorCode, "\(what) header lacks typ, htm, uri or created")
        }
        // The RFC's examples use the pre-publication '+' spelling; accept it on input.
        guard header.typ == expectedType || header.typ == expectedType.replacingOccurrences(of: "binding-", with: "binding+") else {
            throw GNAPError(errorCode, "\(what) 'typ' must be \(expectedType)")
        }
        let target = request.message.scheme + "://" + request.message.authority + request.message.requestTarget
        guard header.htm == request.message.method, header.uri == target else {
            throw GNAPError(errorCode, "\(what) 'htm' and 'uri' must name this request's method and target URI")
        }
        let age = abs(now().timeIntervalSince1970 - Double(header.created))
        guard age <= Double(window.components.seconds) else {
            throw GNAPError(errorCode, "\(what) 'created' is outside the allowed window")
        }
        if let token = request.token {
            guard header.ath == Base64URL.encode(SHA256.hash(data: Data(token.utf8))) else {
                throw GNAPError(errorCode, "\(what) 'ath' does not match the presented token")
            }
        }
        // What was signed is single use, like an httpsig nonce. Never key this on the signature bytes: an
        // ECDSA signature (r, s) has a twin (r, n−s) that verifies over the same input (docs/SECURITY.md).
        let fresh = try await replay.insertIfAbsent(
            namespace: "jwsd:" + ((try? jwk.thumbprint()) ?? kid),
            value: "sha-256:" + Base64URL.encode(SHA256.hash(data: signingInput)),
            expiresAt: now().addingTimeInterval(Double(window.components.seconds) * 2 + 60),
            now: now()
        )
        guard fresh else { throw GNAPError(errorCode, "\(what) was already used") }
    }

    private struct DetachedHeader: Decodable {
        var typ: String
        var htm: String
        var uri: String
        var created: Int64
        var ath: String?
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

    /// Single-use `nonce` values through the store's replay cache, for a few minutes; or, with `deferred`, handed
    /// to the caller to spend in its own commit.
    private struct NonceCache: HTTPSignatureReplayCache {
        let replay: any ReplayCache
        let namespace: String
        let now: @Sendable () -> Date
        let deferred: DeferredNonces?

        func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool {
            let current = now()
            let spend = SingleUseSpend(
                namespace: namespace,
                value: nonce,
                expiresAt: max(expiresAt, current.addingTimeInterval(300)),
                now: current
            )
            if let deferred {
                deferred.add(spend)
                return true
            }
            return try await replay.insertIfAbsent(namespace: spend.namespace, value: spend.value, expiresAt: spend.expiresAt, now: current)
        }
    }
}

/// The single-use values (nonces) a key proof presented, left for the caller to spend in the same commit as what
/// the request records (issue 22: a grant, its tokens and its nonce in one job of the group commit, as a redeemed
/// grant's `jti` with its token). The caller must spend them before it answers, whatever the answer.
final class DeferredNonces: Sendable {
    private let spends = Mutex<[SingleUseSpend]>([])

    /// The values presented so far.
    var all: [SingleUseSpend] { spends.withLock { $0 } }

    /// Adds a value to spend.
    /// - Parameter spend: The value.
    func add(_ spend: SingleUseSpend) { spends.withLock { $0.append(spend) } }
}

/// A bounded cache of imported verification keys (a few thousand client keys at most).
final class VerificationKeyCache: Sendable {
    private let entries = Mutex<[String: HTTPVerificationKey]>([:])
    private static let capacity = 4096

    func key(_ id: String) -> HTTPVerificationKey? { entries.withLock { $0[id] } }

    func store(_ key: HTTPVerificationKey, for id: String) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = key
        }
    }
}
