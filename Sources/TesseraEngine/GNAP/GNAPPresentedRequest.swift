public import HTTPMessageSignatures
public import TesseraProtocol

/// A request to a GNAP endpoint as the engine sees it: the framework-free message the key proof
/// covers, and the token from `Authorization: GNAP <token>` when one was presented (RFC 9635 §7.2).
public struct GNAPPresentedRequest: Sendable {
    public var message: HTTPSignatureRequest
    public var token: String?
    /// The client certificate the request arrived with — from this server's TLS handshake, or from a
    /// trusted TLS-terminating proxy's `Client-Cert` field (RFC 9440) — for the `mtls` proof (RFC 9635 §7.3.2).
    public var clientCertificate: GNAPCertificate?
    /// An `application/jose` body (the `jws` proof, RFC 9635 §7.3.4): the compact JWS whose payload
    /// is the request's JSON. Set by ``init(message:token:attachedJWS:)`` only once its payload decoded;
    /// the signature is checked by the key proof.
    public private(set) var attachedJWS: String?
    private var attachedPayload: [UInt8]?

    public init(message: HTTPSignatureRequest, token: String?) {
        self.message = message
        self.token = token
    }

    /// A request whose body was the compact JWS `attachedJWS`.
    /// - Throws: ``GNAPError`` `invalid_request` when it is not a compact JWS with a payload.
    public init(message: HTTPSignatureRequest, token: String?, attachedJWS: String) throws(GNAPError) {
        let parts = attachedJWS.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, let payload = Base64URL.decode(String(parts[1])) else {
            throw GNAPError(
                .invalidRequest,
                "an application/jose body must be a compact JWS with the JSON request as payload (RFC 9635 §7.3.4)"
            )
        }
        self.message = message
        self.token = token
        self.attachedJWS = attachedJWS
        self.attachedPayload = Array(payload)
    }

    /// The request's JSON: the body, or the attached JWS's payload.
    public var body: [UInt8] { attachedPayload ?? message.body ?? [] }
}
