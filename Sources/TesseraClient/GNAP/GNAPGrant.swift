public import Foundation
public import TesseraProtocol

/// Where and how to continue a grant (RFC 9635 §3.1, §5), with the newest continuation token.
///
/// Continuation tokens rotate: every response to a continuation call carries a new `continue`, and only the
/// newest one is valid. ``GNAPClient`` always returns the continuation of the last response; use that one.
public struct GNAPContinuation: Sendable, Hashable {
    /// The continuation URI, used exactly as given.
    public let uri: String
    /// The continuation access token (bound to the client key, never bearer).
    public let accessToken: String
    /// The `wait` the AS asked for (5 seconds when absent, RFC 9635 §3.1).
    public let wait: Duration
    /// The earliest time the client may call ``uri`` (the response time plus ``wait``).
    public let notBefore: Date

    public init(uri: String, accessToken: String, wait: Duration, notBefore: Date) {
        self.uri = uri
        self.accessToken = accessToken
        self.wait = wait
        self.notBefore = notBefore
    }
}

/// The state of a grant after a response from the AS (RFC 9635 §3): tokens, subject information, and the
/// continuation to use next.
public struct GNAPGrant: Sendable, Hashable {
    /// The response as the AS sent it (already validated).
    public let response: GNAPGrantResponse
    /// How to continue, if the AS allows it; `nil` means the grant must not be continued.
    public let continuation: GNAPContinuation?

    public init(response: GNAPGrantResponse, continuation: GNAPContinuation?) {
        self.response = response
        self.continuation = continuation
    }

    /// Issued access tokens, in response order (empty while pending).
    public var tokens: [GNAPAccessToken] { response.accessToken?.tokens ?? [] }

    /// The token issued under `label` (RFC 9635 §3.2.2).
    public func token(labelled label: String) -> GNAPAccessToken? { tokens.first { $0.label == label } }

    /// `true` while the AS has issued nothing yet and offers a continuation (RFC 9635 §1.5 `pending`).
    public var isPending: Bool { continuation != nil && response.accessToken == nil && response.subject == nil }

    /// Interaction the AS offers (RFC 9635 §3.3), only while pending.
    public var interact: [String: JSONValue]? { response.interact }

    /// Subject information (RFC 9635 §3.4).
    public var subject: GNAPSubjectResponse? { response.subject }

    /// The instance identifier to use as `client` in later requests (RFC 9635 §3.5); keep it secret.
    public var instanceID: String? { response.instanceID }
}
