public import TesseraProtocol

/// Thrown by ``GNAPClient``. Match on ``code``; for ``Code/grantError`` the AS's own error is in ``gnapError``.
///
/// ``description`` never contains token values or key material.
public struct GNAPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case grantError, invalidResponse, unexpectedStatus, invalidRequest, signingFailed, noContinuation, pollingLimit,
                notManageable, unsupportedTokenKey, interactionHashMismatch
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// The AS answered with a GNAP error (RFC 9635 §3.6); see ``GNAPClientError/gnapError``.
        public static let grantError = Code(.grantError)
        /// The AS's response broke a rule the client must check (RFC 9635 §3), or was not JSON.
        public static let invalidResponse = Code(.invalidResponse)
        /// An HTTP status the protocol does not allow here, without a GNAP error body.
        public static let unexpectedStatus = Code(.unexpectedStatus)
        /// The request the caller built breaks an RFC 9635 §2 rule (e.g. missing or duplicate labels).
        public static let invalidRequest = Code(.invalidRequest)
        /// The request could not be signed.
        public static let signingFailed = Code(.signingFailed)
        /// The grant has no `continue`, so the client must not continue it (RFC 9635 §5).
        public static let noContinuation = Code(.noContinuation)
        /// The grant was still pending after the allowed number of polls.
        public static let pollingLimit = Code(.pollingLimit)
        /// The token has no `manage` (RFC 9635 §6).
        public static let notManageable = Code(.notManageable)
        /// The token is bound to a key this client does not hold (RFC 9635 §7.2).
        public static let unsupportedTokenKey = Code(.unsupportedTokenKey)
        /// The `hash` sent to the finish URI does not match (RFC 9635 §4.2.3): the callback is not from this
        /// AS for this grant, so the `interact_ref` was not sent anywhere.
        public static let interactionHashMismatch = Code(.interactionHashMismatch)
        public var description: String { value.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The AS's error, for ``Code/grantError``.
    public let gnapError: GNAPError?
    /// The HTTP status of the response, when there was one.
    public let status: Int?
    /// A `continue` sent with a recoverable error (RFC 9635 §3.6), with the newest continuation token.
    public let continuation: GNAPContinuation?

    package init(
        _ code: Code,
        _ message: String,
        gnapError: GNAPError? = nil,
        status: Int? = nil,
        continuation: GNAPContinuation? = nil
    ) {
        self.code = code
        self.message = message
        self.gnapError = gnapError
        self.status = status
        self.continuation = continuation
    }

    static func invalidResponse(_ message: String, status: Int? = nil) -> Self { Self(.invalidResponse, message, status: status) }

    public var description: String {
        if let gnapError { return "GNAPClientError.\(code): \(gnapError.code): \(gnapError.message)" }
        return "GNAPClientError.\(code): \(message)"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.gnapError?.code == rhs.gnapError?.code }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(gnapError?.code)
    }
}
