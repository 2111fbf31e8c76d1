/// A GNAP error (RFC 9635 §3.6). ``description`` is safe to send to a client.
public struct GNAPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error code: an open set (RFC 9635 §10.14 registry).
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.init(rawValue: value) }
        public var description: String { rawValue }

        public static let invalidRequest: Self = "invalid_request"
        public static let invalidClient: Self = "invalid_client"
        public static let invalidInteraction: Self = "invalid_interaction"
        public static let invalidFlag: Self = "invalid_flag"
        public static let invalidRotation: Self = "invalid_rotation"
        public static let keyRotationNotSupported: Self = "key_rotation_not_supported"
        public static let invalidContinuation: Self = "invalid_continuation"
        public static let userDenied: Self = "user_denied"
        public static let requestDenied: Self = "request_denied"
        public static let unknownUser: Self = "unknown_user"
        public static let unknownInteraction: Self = "unknown_interaction"
        public static let tooFast: Self = "too_fast"
        public static let tooManyAttempts: Self = "too_many_attempts"
        /// RFC 9767 §3.5, RS-facing.
        public static let invalidResourceServer: Self = "invalid_resource_server"
        /// RFC 9767 §3.5, RS-facing.
        public static let invalidAccess: Self = "invalid_access"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The HTTP status Tessera answers with (RFC 9635 leaves it open; digest §3 recommendation).
    public var httpStatus: Int {
        switch code {
        case .invalidClient: 401
        case .userDenied, .requestDenied: 403
        default: 400
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// The `error` member in its object form (RFC 9635 §3.6).
public struct GNAPErrorBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var code: String
        public var description: String?
    }

    public var error: Detail
    public var `continue`: GNAPContinue?

    public init(_ error: GNAPError, continue: GNAPContinue? = nil) {
        self.error = Detail(code: error.code.rawValue, description: error.message)
        self.continue = `continue`
    }

    public init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        if let code = try? keyed.decode(String.self, forKey: .error) {
            error = Detail(code: code, description: nil)
        } else {
            error = try keyed.decode(Detail.self, forKey: .error)
        }
        self.continue = try keyed.decodeIfPresent(GNAPContinue.self, forKey: .continue)
    }

    enum CodingKeys: String, CodingKey { case error, `continue` }
}
