/// Why creating or verifying an HTTP message signature failed (RFC 9421), or why a `Content-Digest` is unacceptable
/// (RFC 9530).
///
/// Match on ``code``; ``message`` is for logs and never contains key material. ``label`` names the signature the
/// failure is about, when there is one. Equality and hashing use ``code`` only, so
/// `#expect(throws: HTTPSignatureError(.unknownKey))` works.
public struct HTTPSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule that failed. New codes may be added in minor releases.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case malformedSignatureInput, malformedSignature, labelMismatch, missingSignature, noApplicableSignature
            case invalidComponent, duplicateComponent, missingComponent, invalidComponentValue
            case missingRequiredComponent, missingRequiredParameter, invalidParameter, unknownParameter, tagMismatch
            case createdInFuture, signatureTooOld, signatureExpired
            case unknownAlgorithm, algorithmNotAllowed, algorithmMismatch, algorithmParameterForbidden
            case unknownKey, unsuitableKey, invalidKey, signatureMismatch, replayedNonce
            case missingContentDigest, contentDigestMismatch, malformedContentDigest, unsupportedDigestAlgorithm
            case invalidMessage, signingFailed, duplicateLabel
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `Signature-Input` is not a valid Dictionary of inner lists (RFC 9421 §4.1).
        public static let malformedSignatureInput = Code(.malformedSignatureInput)
        /// `Signature` is not a valid Dictionary of Byte Sequences (RFC 9421 §4.2).
        public static let malformedSignature = Code(.malformedSignature)
        /// A label occurs in only one of `Signature-Input` and `Signature` (RFC 9421 §4).
        public static let labelMismatch = Code(.labelMismatch)
        /// A label is used twice (RFC 9421 §4), or a signer was asked to reuse one.
        public static let duplicateLabel = Code(.duplicateLabel)
        /// The message carries no `Signature-Input` (RFC 9421 Appendix A).
        public static let missingSignature = Code(.missingSignature)
        /// No signature matches the policy's label or tag (RFC 9421 §3.2 step 1).
        public static let noApplicableSignature = Code(.noApplicableSignature)
        /// A component identifier is not allowed: unknown name or parameter, wrong parameter combination, `req` on a
        /// request, `@status` on a request, `@signature-params` listed (RFC 9421 §2, §2.5).
        public static let invalidComponent = Code(.invalidComponent)
        /// A component identifier occurs twice in one signature (RFC 9421 §2).
        public static let duplicateComponent = Code(.duplicateComponent)
        /// A covered field, dictionary member or query parameter is absent (RFC 9421 §2.5).
        public static let missingComponent = Code(.missingComponent)
        /// A component value cannot go into a signature base: non-ASCII, newline, not a structured field
        /// (RFC 9421 §2.1, §2.2, §2.5).
        public static let invalidComponentValue = Code(.invalidComponentValue)
        /// The policy requires a component that the signature does not cover (RFC 9421 §3.2.1).
        public static let missingRequiredComponent = Code(.missingRequiredComponent)
        /// The policy requires a signature parameter that is absent (RFC 9421 §3.2.1).
        public static let missingRequiredParameter = Code(.missingRequiredParameter)
        /// A signature parameter has the wrong type or value (RFC 9421 §2.3).
        public static let invalidParameter = Code(.invalidParameter)
        /// A signature parameter not in the registry, and the policy rejects unknown ones (RFC 9421 §2.3).
        public static let unknownParameter = Code(.unknownParameter)
        /// The `tag` differs from the one the policy requires (RFC 9421 §2.3).
        public static let tagMismatch = Code(.tagMismatch)
        /// `created` is later than now plus the allowed clock skew (RFC 9421 §3.2.1).
        public static let createdInFuture = Code(.createdInFuture)
        /// `created` is older than the policy's maximum age (RFC 9421 §3.2.1).
        public static let signatureTooOld = Code(.signatureTooOld)
        /// `expires` has passed (RFC 9421 §2.3).
        public static let signatureExpired = Code(.signatureExpired)
        /// The `alg` parameter names no algorithm this library knows (RFC 9421 §3.3).
        public static let unknownAlgorithm = Code(.unknownAlgorithm)
        /// The algorithm is not in the policy's allowed set (RFC 9421 §3.2 step 6).
        public static let algorithmNotAllowed = Code(.algorithmNotAllowed)
        /// The `alg` parameter disagrees with the key's algorithm (RFC 9421 §3.2 step 6, §7.3.6).
        public static let algorithmMismatch = Code(.algorithmMismatch)
        /// The policy forbids the `alg` parameter (GNAP, RFC 9635 §7.3.1).
        public static let algorithmParameterForbidden = Code(.algorithmParameterForbidden)
        /// The key resolver knows no key for this `keyid` (RFC 9421 §3.2 step 5).
        public static let unknownKey = Code(.unknownKey)
        /// The key cannot be used with the algorithm (RFC 9421 §3.2 step 8).
        public static let unsuitableKey = Code(.unsuitableKey)
        /// Key material could not be imported (JWK, PEM).
        public static let invalidKey = Code(.invalidKey)
        /// The signature does not verify over the signature base (RFC 9421 §3.2 step 8).
        public static let signatureMismatch = Code(.signatureMismatch)
        /// The `nonce` was seen before (RFC 9421 §7.2.2).
        public static let replayedNonce = Code(.replayedNonce)
        /// The message has content but `content-digest` is not covered, or the field is absent (RFC 9421 §7.2.8).
        public static let missingContentDigest = Code(.missingContentDigest)
        /// `Content-Digest` does not match the content (RFC 9530 §2).
        public static let contentDigestMismatch = Code(.contentDigestMismatch)
        /// `Content-Digest` is not a Dictionary of Byte Sequences (RFC 9530 §2).
        public static let malformedContentDigest = Code(.malformedContentDigest)
        /// No acceptable digest algorithm (`sha-256`, `sha-512`) is present (RFC 9530 §5).
        public static let unsupportedDigestAlgorithm = Code(.unsupportedDigestAlgorithm)
        /// The message itself is unusable, e.g. a target URI that is not absolute.
        public static let invalidMessage = Code(.invalidMessage)
        /// The signing primitive failed.
        public static let signingFailed = Code(.signingFailed)

        public var description: String { value.rawValue }
    }

    /// The rule that failed.
    public let code: Code
    /// A human-readable explanation, safe to log.
    public let message: String
    /// The signature label the failure concerns, if any.
    public let label: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String = "", label: String? = nil) {
        self.code = code
        self.message = message
        self.label = label
    }

    func labelled(_ label: String) -> Self { Self(code, message, label: label) }

    public var description: String {
        let location = label.map { " (signature \"\($0)\")" } ?? ""
        return "HTTPSignatureError.\(code): \(message)\(location)"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension HTTPSignatureError {
    /// Runs `body`, which imports key material: its own errors pass through, and any other (the crypto library
    /// refusing the material) becomes `invalidKey`.
    /// - Parameters:
    ///   - format: the key's format, for the message (`JWK`, `PEM`).
    ///   - body: builds the key.
    /// - Returns: what `body` returns.
    /// - Throws: ``HTTPSignatureError``.
    static func importingKey<T>(_ format: String, _ body: () throws -> T) throws(HTTPSignatureError) -> T {
        do {
            return try body()
        } catch let error as HTTPSignatureError {
            throw error
        } catch {
            throw HTTPSignatureError(.invalidKey, "\(format) key material rejected: \(error)")
        }
    }
}
