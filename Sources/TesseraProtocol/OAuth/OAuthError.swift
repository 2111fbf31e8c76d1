/// An OAuth 2.0 error as sent on the wire (RFC 6749 §5.2) and its extensions.
///
/// The code is open: SDKs can parse any server's errors, and the server adds new codes
/// (`invalid_target`, `invalid_authorization_details`, …) without breaking callers.
/// ``description`` is safe to send to a client; it never carries secrets.
public struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `error` member: an open set of ASCII codes.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.init(rawValue: value) }
        public var description: String { rawValue }

        /// RFC 6749 §5.2.
        public static let invalidRequest: Self = "invalid_request"
        /// RFC 6749 §5.2 — sent with HTTP 401.
        public static let invalidClient: Self = "invalid_client"
        /// RFC 6749 §5.2.
        public static let invalidGrant: Self = "invalid_grant"
        /// RFC 6749 §5.2.
        public static let unauthorizedClient: Self = "unauthorized_client"
        /// RFC 6749 §5.2.
        public static let unsupportedGrantType: Self = "unsupported_grant_type"
        /// RFC 6749 §5.2.
        public static let invalidScope: Self = "invalid_scope"
        /// RFC 8707 §2.
        public static let invalidTarget: Self = "invalid_target"
        /// RFC 7009 §2.2.1.
        public static let unsupportedTokenType: Self = "unsupported_token_type"
        /// RFC 6749 §4.1.2.1 — used for infrastructure failures.
        public static let serverError: Self = "server_error"
        /// RFC 6749 §4.1.2.1 — the server cannot handle the request now (store unavailable).
        public static let temporarilyUnavailable: Self = "temporarily_unavailable"
        /// RFC 6750 §3.1 — a protected endpoint was called without a valid access token.
        public static let invalidToken: Self = "invalid_token"
        /// RFC 9449 §5, §7.1 — the DPoP proof is missing, malformed or fails a check.
        public static let invalidDPoPProof: Self = "invalid_dpop_proof"
        /// RFC 9449 §8, §9 — the server requires a (fresh) nonce in the DPoP proof; sent with `DPoP-Nonce`.
        public static let useDPoPNonce: Self = "use_dpop_nonce"
        /// RFC 6750 §3.1 — the token lacks the scope the resource requires.
        public static let insufficientScope: Self = "insufficient_scope"
        /// RFC 9396 §5 — `authorization_details` with an unknown type, a missing or malformed member,
        /// or (Cedar profile) a policy set that does not parse, validate or may not be delegated.
        public static let invalidAuthorizationDetails: Self = "invalid_authorization_details"
        /// RFC 7591 §3.2.2 — a registered redirect URI is not acceptable.
        public static let invalidRedirectURI: Self = "invalid_redirect_uri"
        /// RFC 7591 §3.2.2 — a client metadata member is invalid or not allowed.
        public static let invalidClientMetadata: Self = "invalid_client_metadata"
        /// RFC 7591 §3.2.2 — the software statement is not accepted.
        public static let invalidSoftwareStatement: Self = "invalid_software_statement"
    }

    public let code: Code
    /// The `error_description`: human readable, ASCII, safe to show a client.
    public let message: String
    /// The `error_uri`, when one is known.
    public let uri: String?
    /// What a new sign-in must show (`acr_values`, `max_age`; RFC 9470 §3), for
    /// ``Code/insufficientUserAuthentication``.
    public let requirement: AuthenticationRequirement?

    /// - Parameters:
    ///   - code: the `error` member.
    ///   - message: the `error_description`.
    ///   - uri: the `error_uri`.
    ///   - requirement: the RFC 9470 §3 members, for a step-up error.
    public init(_ code: Code, _ message: String, uri: String? = nil, requirement: AuthenticationRequirement? = nil) {
        self.code = code
        self.message = message
        self.uri = uri
        self.requirement = requirement
    }

    public var description: String { "\(code): \(message)" }

    public static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message) }
    public static func invalidClient(_ message: String) -> Self { Self(.invalidClient, message) }
    public static func invalidGrant(_ message: String) -> Self { Self(.invalidGrant, message) }
    public static func unauthorizedClient(_ message: String) -> Self { Self(.unauthorizedClient, message) }
    public static func unsupportedGrantType(_ message: String) -> Self { Self(.unsupportedGrantType, message) }
    public static func invalidScope(_ message: String) -> Self { Self(.invalidScope, message) }
    public static func invalidTarget(_ message: String) -> Self { Self(.invalidTarget, message) }
    public static func serverError(_ message: String = "the server could not complete the request") -> Self {
        Self(.serverError, message)
    }
    public static func temporarilyUnavailable(_ message: String) -> Self { Self(.temporarilyUnavailable, message) }
    public static func invalidAuthorizationDetails(_ message: String) -> Self { Self(.invalidAuthorizationDetails, message) }

    /// Equality uses the code only, so tests can write `#expect(throws: OAuthError.invalidClient(""))`.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// The JSON body of an OAuth error response (RFC 6749 §5.2).
public struct OAuthErrorBody: Codable, Sendable, Hashable {
    public var error: String
    public var errorDescription: String?
    public var errorURI: String?
    /// RFC 9470 §3: the acceptable `acr` values, space-separated.
    public var acrValues: String?
    /// RFC 9470 §3: the longest acceptable age of the sign-in, in seconds.
    public var maxAge: Int?

    public init(_ error: OAuthError) {
        self.error = error.code.rawValue
        self.errorDescription = error.message
        self.errorURI = error.uri
        if let requirement = error.requirement {
            self.acrValues = requirement.acrValues.isEmpty ? nil : requirement.acrValues.joined(separator: " ")
            self.maxAge = requirement.maxAge
        }
    }

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
        case errorURI = "error_uri"
        case acrValues = "acr_values"
        case maxAge = "max_age"
    }

    /// Reads another server's error; a step-up member of an unexpected type is ignored rather than
    /// making the whole error unreadable.
    /// - Parameter decoder: the JSON decoder.
    /// - Throws: `DecodingError` when `error` is missing or not a string.
    public init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        error = try keyed.decode(String.self, forKey: .error)
        errorDescription = try keyed.decodeIfPresent(String.self, forKey: .errorDescription)
        errorURI = try keyed.decodeIfPresent(String.self, forKey: .errorURI)
        acrValues = try? keyed.decodeIfPresent(String.self, forKey: .acrValues)
        maxAge = try? keyed.decodeIfPresent(Int.self, forKey: .maxAge)
    }
}
