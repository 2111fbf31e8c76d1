public import HTTPMessageSignatures

/// A request to a GNAP endpoint as the engine sees it: the framework-free message the key proof
/// covers, and the token from `Authorization: GNAP <token>` when one was presented (RFC 9635 §7.2).
public struct GNAPPresentedRequest: Sendable {
    public var message: HTTPSignatureRequest
    public var token: String?

    public init(message: HTTPSignatureRequest, token: String?) {
        self.message = message
        self.token = token
    }

    public var body: [UInt8] { message.body ?? [] }
}
