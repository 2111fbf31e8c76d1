public import TesseraProtocol

/// Why a request was not authorized, and the response to send (RFC 6750 §3, RFC 9449 §7.1, RFC 9728 §5.1).
public struct ResourceRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// 401 for missing or bad credentials, 403 for `insufficient_scope`, 400 for `invalid_request`.
    public var status: Int
    /// The error, or `nil` when the request carried no credentials at all (RFC 6750 §3.1).
    public var error: OAuthError?
    /// One `WWW-Authenticate` field value per challenge (Bearer and/or DPoP).
    public var challenges: [AuthenticationChallenge]
    /// A fresh server nonce to send as `DPoP-Nonce` (RFC 9449 §9).
    public var dpopNonce: String?

    public init(status: Int, error: OAuthError?, challenges: [AuthenticationChallenge], dpopNonce: String? = nil) {
        self.status = status
        self.error = error
        self.challenges = challenges
        self.dpopNonce = dpopNonce
    }

    /// The `WWW-Authenticate` field values, one per challenge.
    public var wwwAuthenticate: [String] { challenges.map(\.description) }

    public var description: String { "\(status) \(error?.description ?? "no credentials")" }
}
