public import HTTPMessageSignatures
public import TesseraProtocol

/// A client request the RS accepted: the token was active at the AS and, for a bound token, the request's
/// signature was made by the key the token is bound to.
public struct GNAPAuthorizedRequest: Sendable {
    /// The presented token value.
    public let token: String
    /// The rights the AS reports for the token (RFC 9767 §3.3), possibly filtered for this RS.
    public let access: [GNAPAccessRight]
    /// The whole introspection answer.
    public let introspection: GNAPIntrospectionResponse
    /// The verified signature, `nil` for a bearer token.
    public let signature: VerifiedHTTPSignature?

    /// `true` if some granted right has `type` (or reference) `typeOrReference` and, when `action` is given, lists it.
    ///
    /// Names compare code point by code point (RFC 9635 §8, RFC 8259 §8.3), not with Swift's `==`, which calls
    /// canonically equivalent spellings equal: a right `\u{212A}ontakte` (KELVIN SIGN) does not allow `Kontakte`,
    /// whichever AS issued it.
    /// - Parameters:
    ///   - typeOrReference: The access object type or reference the resource needs.
    ///   - action: An action the right must list, if any.
    /// - Returns: Whether a granted right matches exactly.
    public func allows(_ typeOrReference: String, action: String? = nil) -> Bool {
        access.contains { right in
            switch right {
            case .reference(let reference): return UnicodeNFC.identical(reference, typeOrReference) && action == nil
            case .object(let object):
                guard UnicodeNFC.identical(object.type, typeOrReference) else { return false }
                guard let action else { return true }
                return object.actions?.contains { UnicodeNFC.identical($0, action) } ?? false
            }
        }
    }
}

/// Why the RS refused a client request. ``challenge`` is the `WWW-Authenticate` value to answer with (401).
public struct GNAPVerificationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case missingToken, inactiveToken, invalidSignature, wrongScheme, unsupportedKey, introspectionFailed }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// No `Authorization: GNAP …` (or `Bearer …`) token.
        public static let missingToken = Reason(.missingToken)
        /// The AS says the token is not active (unknown, expired, revoked, insufficient, wrong RS).
        public static let inactiveToken = Reason(.inactiveToken)
        /// The request's key proof failed (missing, stale, replayed, wrong key, uncovered token).
        public static let invalidSignature = Reason(.invalidSignature)
        /// A bound token sent as `Bearer`, or a bearer token sent as `GNAP`.
        public static let wrongScheme = Reason(.wrongScheme)
        /// The token is bound to a key the RS cannot use (by reference, or not httpsig).
        public static let unsupportedKey = Reason(.unsupportedKey)
        /// The AS could not be asked.
        public static let introspectionFailed = Reason(.introspectionFailed)
        public var description: String { value.rawValue }
    }

    public let reason: Reason
    public let message: String
    /// The `WWW-Authenticate` field value for the 401 answer (RFC 9635 §9.1).
    public let challenge: String

    public var description: String { "\(reason): \(message)" }
}

/// The outcome of ``GNAPResourceServer/verify(_:requiredAccess:)``.
public enum GNAPVerificationResult: Sendable {
    case authorized(GNAPAuthorizedRequest)
    case refused(GNAPVerificationFailure)
}
