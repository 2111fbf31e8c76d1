public import TesseraProtocol

/// Sends a token request to a peer authorization server's token endpoint (RFC 6749 §3.2), for the
/// "authorization server acting as client" flow (draft-ietf-oauth-identity-chaining Appendix B.2).
/// The server supplies an HTTP implementation (POST only, no redirects, a timeout and a size cap).
public protocol PeerTokenClient: Sendable {
    /// POSTs `form` (already `application/x-www-form-urlencoded`) with the extra `headers`.
    /// - Returns: the HTTP status and the JSON object the peer answered with (empty when the body is not one).
    /// - Throws: any error when the peer cannot be reached, times out or answers more than the size cap.
    func postTokenRequest(to url: String, form: String, headers: [(name: String, value: String)]) async throws -> PeerTokenReply
}

/// A peer token endpoint's answer: the HTTP status and its JSON body (RFC 6749 §5.1, §5.2).
public struct PeerTokenReply: Sendable {
    public var status: Int
    public var body: [String: JSONValue]

    public init(status: Int, body: [String: JSONValue]) {
        self.status = status
        self.body = body
    }
}
