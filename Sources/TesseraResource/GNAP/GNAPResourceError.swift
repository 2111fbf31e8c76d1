public import TesseraProtocol

/// Thrown by ``GNAPResourceServer`` for failed calls to the AS (not for refused client requests, which are
/// ``GNAPVerificationFailure`` values). Match on ``code``.
public struct GNAPResourceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case asError, invalidResponse, signingFailed, notSupported }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// The AS answered with an RS-facing error (RFC 9767 §3.5); see ``GNAPResourceError/gnapError``.
        public static let asError = Code(.asError)
        /// The AS's answer was not what RFC 9767 §3 requires.
        public static let invalidResponse = Code(.invalidResponse)
        /// The RS request could not be signed.
        public static let signingFailed = Code(.signingFailed)
        /// The AS does not offer the endpoint (absent from its RS-facing discovery).
        public static let notSupported = Code(.notSupported)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    /// The AS's error, for ``Code/asError``.
    public let gnapError: GNAPError?

    package init(_ code: Code, _ message: String, gnapError: GNAPError? = nil) {
        self.code = code
        self.message = message
        self.gnapError = gnapError
    }

    public var description: String { "GNAPResourceError.\(code): \(message)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
