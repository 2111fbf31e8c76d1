public import TesseraProtocol

/// Why the engine refuses a request, in words neither door owns. Each door says it in its own
/// protocol with exactly one mapping: ``oauth`` (RFC 6749 §5.2 and the codes RFC 8693, RFC 8707,
/// RFC 9396 and RFC 9449 add) and ``gnap`` (RFC 9635 §3.6). The description is the engine's, sent
/// as `error_description` or the GNAP error `description`; no door rewrites another door's text.
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The door-neutral reason.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The request is malformed: a member missing, repeated or of the wrong shape.
        case malformedRequest
        /// The client could not be authenticated, or is not known.
        case unknownClient
        /// The client is known but not entitled to ask this way (grant type not registered, policy refuses it).
        case clientNotEntitled
        /// The evidence is of a kind this server does not accept (an unknown `grant_type`).
        case unsupportedEvidence
        /// The evidence is invalid, expired, revoked, spent, or not the client's.
        case evidenceRejected
        /// A right asked for is outside what the client, the parent token or policy allows.
        case rightsRefused
        /// A rich right (RFC 9396 entry, GNAP access object, Cedar set) is unknown or malformed.
        case rightsMalformed
        /// An audience or resource asked for is not one the token may be for.
        case audienceRefused
        /// The token type asked for or presented is not one this server issues or accepts.
        case tokenTypeUnsupported
        /// The proof of key possession is missing, invalid or replayed.
        case keyProofRejected
        /// The proof must carry the server's current nonce (RFC 9449 §8).
        case keyProofNonceRequired
        /// The token binding asked for is not allowed (a bearer token for a client that may not hold one).
        case bindingRefused
        /// The interaction result does not match a finished interaction.
        case interactionRejected
        /// The continuation does not match an active grant.
        case continuationRejected
        /// The resource owner said no.
        case userDenied
        /// The person's sign-in is too old or too weak, and a fresh or stronger one would succeed
        /// (RFC 9470 §3; the ID-JAG draft's step-up).
        case authenticationInsufficient
        /// The client did not wait as it was told.
        case tooFast
        /// The server cannot answer now (a store outage); the client may retry.
        case unavailable
        /// The server failed to complete the request.
        case serverFailure
    }

    public let code: Code
    public let message: String
    /// What a new sign-in must show, for ``Code/authenticationInsufficient``.
    public let requirement: AuthenticationRequirement?

    /// - Parameters:
    ///   - code: the reason.
    ///   - message: a description safe to send to the client.
    ///   - requirement: what a new sign-in must show (RFC 9470 §3), for a step-up refusal.
    public init(_ code: Code, _ message: String, requirement: AuthenticationRequirement? = nil) {
        self.code = code
        self.message = message
        self.requirement = requirement
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    // MARK: - The OAuth door

    /// The OAuth error code (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 8707 §2, RFC 9396 §5, RFC 9449 §5, §8).
    public var oauthCode: OAuthError.Code {
        switch code {
        case .malformedRequest, .bindingRefused: .invalidRequest
        case .unknownClient: .invalidClient
        case .clientNotEntitled: .unauthorizedClient
        case .unsupportedEvidence: .unsupportedGrantType
        case .evidenceRejected, .interactionRejected, .continuationRejected: .invalidGrant
        case .rightsRefused: .invalidScope
        case .rightsMalformed: .invalidAuthorizationDetails
        case .audienceRefused: .invalidTarget
        case .tokenTypeUnsupported: .unsupportedTokenType
        case .keyProofRejected: .invalidDPoPProof
        case .keyProofNonceRequired: .useDPoPNonce
        case .userDenied: "access_denied"
        case .authenticationInsufficient: .insufficientUserAuthentication
        case .tooFast: "slow_down"
        case .unavailable: .temporarilyUnavailable
        case .serverFailure: .serverError
        }
    }

    /// The refusal as the OAuth door answers it.
    public var oauth: OAuthError { OAuthError(oauthCode, message, requirement: requirement) }

    /// The door-neutral reason of an OAuth refusal raised by an evidence check; a code this engine
    /// never raises at the token endpoint reads as a malformed request.
    /// - Parameter error: the OAuth refusal.
    public init(_ error: OAuthError) {
        self.init(Self.codes[error.code] ?? .malformedRequest, error.message, requirement: error.requirement)
    }

    private static let codes: [OAuthError.Code: Code] = Dictionary(
        Code.allCases.filter { ![.bindingRefused, .interactionRejected, .continuationRejected].contains($0) }.map {
            (Refusal($0, "").oauthCode, $0)
        },
        uniquingKeysWith: { first, _ in first }
    )

    // MARK: - The GNAP door

    /// The GNAP error code (RFC 9635 §3.6). GNAP has no code for the server's own failures; those
    /// are refused as `request_denied` (the outage middleware answers outages before this).
    public var gnapCode: GNAPError.Code {
        switch code {
        case .malformedRequest, .unsupportedEvidence, .evidenceRejected, .rightsMalformed, .tokenTypeUnsupported,
            .keyProofNonceRequired:
            .invalidRequest
        case .unknownClient, .keyProofRejected: .invalidClient
        case .clientNotEntitled, .rightsRefused, .audienceRefused, .unavailable, .serverFailure, .authenticationInsufficient:
            .requestDenied
        case .bindingRefused: .invalidFlag
        case .interactionRejected: .invalidInteraction
        case .continuationRejected: .invalidContinuation
        case .userDenied: .userDenied
        case .tooFast: .tooFast
        }
    }

    /// The refusal as the GNAP door answers it.
    public var gnap: GNAPError { GNAPError(gnapCode, message) }

    /// The door-neutral reason of a GNAP refusal raised by a GNAP-only check (RFC 9635 §3.6), worded
    /// back with the same code; `nil` for a code no reason maps to (`too_many_attempts`, `invalid_rotation`, …).
    /// - Parameter error: the GNAP refusal.
    public init?(_ error: GNAPError) {
        guard let code = Self.gnapCodes[error.code] else { return nil }
        self.init(code, error.message)
    }

    private static let gnapCodes: [GNAPError.Code: Code] = Dictionary(
        Code.allCases.map { (Refusal($0, "").gnapCode, $0) },
        uniquingKeysWith: { first, _ in first }
    )
}
