import Crypto
public import Foundation

/// A signature that passed verification and the policy.
public struct VerifiedHTTPSignature: Sendable {
    /// The label it was found under.
    public let label: String
    /// The covered components, in order.
    public let components: [HTTPSignatureComponent]
    /// Its parameters, in order.
    public let parameters: HTTPSignatureParameters
    /// The key that verified it.
    public let key: HTTPVerificationKey
    /// Whether `Content-Digest` was recomputed over the content and matched.
    public let contentDigestVerified: Bool
}

/// The outcome of verifying a message: an accepted signature, or the rule that failed. Expected negative outcomes are
/// values; only key-resolver and replay-cache failures are thrown.
public enum HTTPSignatureVerificationResult: Sendable {
    /// A signature met every rule.
    case valid(VerifiedHTTPSignature)
    /// No signature was acceptable. The error is the first candidate's failure (or why there was no candidate).
    case invalid(HTTPSignatureError)

    /// The accepted signature, or `nil`.
    public var signature: VerifiedHTTPSignature? {
        if case .valid(let signature) = self { return signature }
        return nil
    }

    /// The failure, or `nil`.
    public var error: HTTPSignatureError? {
        if case .invalid(let error) = self { return error }
        return nil
    }
}

/// Verifies HTTP message signatures under a policy (RFC 9421 §3.2).
///
/// ```swift
/// let verifier = HTTPMessageVerifier(policy: .gnap, keys: resolver, replayCache: nonces, now: { Date() })
/// switch try await verifier.verify(request) {
/// case .valid(let signature): proceed(with: signature.key)
/// case .invalid(let error): reject(error.code)   // e.g. .signatureTooOld, .missingRequiredComponent
/// }
/// ```
///
/// Every signature that matches the policy's label and tag is examined, in order, until one is acceptable (RFC 9635
/// §7.3.1 asks for exactly that).
public struct HTTPMessageVerifier: Sendable {
    /// The rules signatures must meet.
    public var policy: HTTPSignatureVerificationPolicy
    private let keys: any HTTPSignatureKeyResolver
    private let replayCache: (any HTTPSignatureReplayCache)?
    private let now: @Sendable () -> Date

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - policy: The application requirements.
    ///   - keys: Resolves `keyid` to a trusted key.
    ///   - replayCache: Checks nonces; `nil` skips replay detection (then set ``HTTPSignatureVerificationPolicy/requireNonce`` to false).
    ///   - now: The wall clock used for `created`/`expires`.
    public init(
        policy: HTTPSignatureVerificationPolicy,
        keys: any HTTPSignatureKeyResolver,
        replayCache: (any HTTPSignatureReplayCache)? = nil,
        now: @escaping @Sendable () -> Date
    ) {
        self.policy = policy
        self.keys = keys
        self.replayCache = replayCache
        self.now = now
    }

    /// Verifies the signatures on a request.
    public func verify(_ request: HTTPSignatureRequest) async throws -> HTTPSignatureVerificationResult {
        try await verify(.request(request))
    }

    /// Verifies the signatures on a response. Components with `req` are read from ``HTTPSignatureResponse/request``.
    public func verify(_ response: HTTPSignatureResponse) async throws -> HTTPSignatureVerificationResult {
        try await verify(.response(response))
    }

    private func verify(_ message: SignatureMessage) async throws -> HTTPSignatureVerificationResult {
        let received: [ReceivedSignature]
        do {
            received = try SignatureFields.parse(fields: message.headerFields)
        } catch {
            return .invalid(error)
        }
        var firstFailure: HTTPSignatureError?
        var candidates = 0
        for signature in received {
            if let label = policy.label, signature.label != label { continue }
            if let tag = policy.requiredTag, signature.parameters.tag != tag { continue }
            candidates += 1
            switch try await check(signature, in: message) {
            case .valid(let verified): return .valid(verified)
            case .invalid(let error): if firstFailure == nil { firstFailure = error.labelled(signature.label) }
            }
        }
        if let firstFailure { return .invalid(firstFailure) }
        let wanted = [policy.label.map { "label \"\($0)\"" }, policy.requiredTag.map { "tag \"\($0)\"" }].compactMap { $0 }
        return .invalid(
            HTTPSignatureError(
                candidates == 0 && !wanted.isEmpty ? .noApplicableSignature : .missingSignature,
                "no signature with \(wanted.joined(separator: " and "))"
            )
        )
    }

    private func check(_ signature: ReceivedSignature, in message: SignatureMessage) async throws -> HTTPSignatureVerificationResult {
        let parameters = signature.parameters
        // §3.2 step 4: parameters and coverage against the application requirements.
        if let failure = checkParameters(parameters) { return .invalid(failure) }
        if let failure = checkCoverage(signature.components, message: message) { return .invalid(failure) }

        // §3.2 steps 5 and 6: the key, and the algorithm bound to it.
        guard let key = try await keys.verificationKey(keyID: parameters.keyID, parameters: parameters) else {
            return .invalid(HTTPSignatureError(.unknownKey, "no trusted key for keyid \"\(parameters.keyID ?? "")\""))
        }
        if let keyID = parameters.keyID, let boundID = key.keyID, keyID != boundID {
            return .invalid(HTTPSignatureError(.unknownKey, "the resolved key has a different key id"))
        }
        if let alg = parameters.algorithmName {
            guard let named = HTTPSignatureAlgorithm(registryName: alg) else {
                return .invalid(HTTPSignatureError(.unknownAlgorithm, "alg \"\(alg)\" is not a registered algorithm"))
            }
            guard named == key.algorithm else {
                return .invalid(HTTPSignatureError(.algorithmMismatch, "alg \(alg) does not match the key's \(key.algorithm)"))
            }
        }
        guard policy.allowedAlgorithms.contains(key.algorithm) else {
            return .invalid(HTTPSignatureError(.algorithmNotAllowed, "\(key.algorithm) is not allowed"))
        }

        // §3.2 steps 7 and 8: rebuild the base from the received message and verify.
        let base: SignatureBase
        do {
            base = try SignatureBase.build(
                components: signature.components,
                parameters: parameters,
                message: message,
                structuredFieldTypes: policy.structuredFieldTypes
            )
        } catch {
            return .invalid(error)
        }
        guard key.isValidSignature(signature.signature, for: base.bytes) else {
            return .invalid(HTTPSignatureError(.signatureMismatch, "the signature does not verify with the key"))
        }

        // RFC 9421 §7.2.8: content is covered only if the digest is covered and recomputed.
        var digestVerified = false
        if let body = message.body, signature.components.contains(where: { $0.name == "content-digest" && !$0.isFromRequest }) {
            let lines = message.headerFields.values(named: "content-digest")
            do {
                try ContentDigest.verify(
                    fieldValue: String(decoding: SignatureFields.combined(lines), as: UTF8.self),
                    body: body,
                    accepted: policy.acceptedDigestAlgorithms
                )
            } catch {
                return .invalid(error)
            }
            digestVerified = true
        }

        // §7.2.2: record the nonce last, so that invalid signatures cannot burn nonces.
        // Replays are recognised by what was signed (the nonce, or the whole base), never by the signature
        // bytes: an ECDSA signature (r, s) has a twin (r, n−s) that verifies just as well.
        if let nonce = parameters.nonce, let replayCache {
            let fresh = try await replayCache.insertIfAbsent(nonce: nonce, keyID: parameters.keyID, expiresAt: nonceExpiry(parameters))
            guard fresh else { return .invalid(HTTPSignatureError(.replayedNonce, "the nonce was already used")) }
        } else if policy.singleUseSignatureBase, let replayCache {
            let digest = NonceGenerator.base64URL(Array(SHA256.hash(data: base.bytes)))
            let fresh = try await replayCache.insertIfAbsent(
                signatureBaseDigest: digest,
                keyID: parameters.keyID,
                expiresAt: nonceExpiry(parameters)
            )
            guard fresh else { return .invalid(HTTPSignatureError(.replayedNonce, "this signature base was already used (no nonce)")) }
        }
        return .valid(
            VerifiedHTTPSignature(
                label: signature.label,
                components: signature.components,
                parameters: parameters,
                key: key,
                contentDigestVerified: digestVerified
            )
        )
    }

    private func checkParameters(_ parameters: HTTPSignatureParameters) -> HTTPSignatureError? {
        do {
            try parameters.validateTypes()
        } catch {
            return error
        }
        if policy.rejectUnknownParameters {
            for name in parameters.names where !HTTPSignatureParameters.registered.contains(name) {
                return HTTPSignatureError(.unknownParameter, "unknown signature parameter \"\(name)\"")
            }
        }
        if let tag = policy.requiredTag, parameters.tag != tag {
            return HTTPSignatureError(.tagMismatch, "tag must be \"\(tag)\"")
        }
        if policy.requireKeyID && parameters.keyID == nil { return HTTPSignatureError(.missingRequiredParameter, "keyid is required") }
        if policy.requireNonce && parameters.nonce == nil { return HTTPSignatureError(.missingRequiredParameter, "nonce is required") }
        if policy.requireExpires && parameters.expires == nil {
            return HTTPSignatureError(.missingRequiredParameter, "expires is required")
        }
        if !policy.allowAlgorithmParameter && parameters.algorithmName != nil {
            return HTTPSignatureError(.algorithmParameterForbidden, "the alg parameter is not allowed")
        }
        let nowSeconds = Int64(now().timeIntervalSince1970.rounded(.down))
        let skew = policy.clockSkew.components.seconds
        if let created = parameters.created {
            if created > nowSeconds + skew { return HTTPSignatureError(.createdInFuture, "created is in the future") }
            if let maximumAge = policy.maximumAge, nowSeconds - created > maximumAge.components.seconds + skew {
                return HTTPSignatureError(.signatureTooOld, "created is older than the maximum age")
            }
        } else if policy.requireCreated {
            return HTTPSignatureError(.missingRequiredParameter, "created is required")
        }
        if let expires = parameters.expires, nowSeconds - skew > expires {
            return HTTPSignatureError(.signatureExpired, "the signature expired")
        }
        return nil
    }

    private func checkCoverage(_ components: [HTTPSignatureComponent], message: SignatureMessage) -> HTTPSignatureError? {
        for required in policy.requiredComponents where !components.contains(required) {
            return HTTPSignatureError(.missingRequiredComponent, "\(required) must be covered")
        }
        for name in policy.requiredFieldsWhenPresent {
            let lower = HTTPSignatureField.lowercased(name)
            if !message.headerFields.values(named: lower).isEmpty,
                !components.contains(where: { $0.name == lower && !$0.isFromRequest })
            {
                return HTTPSignatureError(.missingRequiredComponent, "\"\(lower)\" is present and must be covered")
            }
        }
        if policy.requireContentDigestForContent, let body = message.body, !body.isEmpty {
            guard components.contains(where: { $0.name == "content-digest" && !$0.isFromRequest }) else {
                return HTTPSignatureError(.missingContentDigest, "the message has content but content-digest is not covered")
            }
        }
        return nil
    }

    private func nonceExpiry(_ parameters: HTTPSignatureParameters) -> Date {
        let skew = policy.clockSkew.components.seconds
        var until = Int64(now().timeIntervalSince1970.rounded(.down)) + (policy.maximumAge?.components.seconds ?? 3600)
        if let created = parameters.created, let maximumAge = policy.maximumAge {
            until = created + maximumAge.components.seconds
        }
        if let expires = parameters.expires { until = min(until, expires) }
        return Date(timeIntervalSince1970: TimeInterval(until + skew))
    }
}
