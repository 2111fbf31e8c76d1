/// What requests and responses share as RFC 9421 sees them: field lines and content (§2.1, §2.5).
public protocol HTTPSignatureMessage: Sendable {
    /// Header field lines, in message order.
    var headerFields: [HTTPSignatureField] { get set }
    /// Trailer field lines, in message order.
    var trailerFields: [HTTPSignatureField] { get }
    /// The content bytes as sent, used to check `Content-Digest`.
    var body: [UInt8]? { get }
}

extension HTTPSignatureMessage {
    /// Appends a header field line.
    public mutating func appendHeader(name: String, value: String) {
        headerFields.append(HTTPSignatureField(name: name, value: value))
    }

    /// The value of the first header line named `name` (case-insensitive), if any.
    public func headerValue(_ name: String) -> String? {
        let lower = HTTPSignatureField.lowercased(name)
        return headerFields.first { $0.name == lower }?.value
    }
}

/// A request or response the signer and verifier handle alike, through ``SignatureMessage``.
protocol SignableMessage: HTTPSignatureMessage {
    /// This message as the signature base sees it.
    var signatureMessage: SignatureMessage { get }
}

extension HTTPSignatureRequest: SignableMessage {
    var signatureMessage: SignatureMessage { .request(self) }
}

extension HTTPSignatureResponse: SignableMessage {
    var signatureMessage: SignatureMessage { .response(self) }
}

/// The message a signature is on, with the request context for responses.
enum SignatureMessage {
    case request(HTTPSignatureRequest)
    case response(HTTPSignatureResponse)

    /// The fields and content, whichever the message.
    private var parts: (headerFields: [HTTPSignatureField], trailerFields: [HTTPSignatureField], body: [UInt8]?) {
        switch self {
        case .request(let request): (request.headerFields, request.trailerFields, request.body)
        case .response(let response): (response.headerFields, response.trailerFields, response.body)
        }
    }

    var headerFields: [HTTPSignatureField] { parts.headerFields }
    var trailerFields: [HTTPSignatureField] { parts.trailerFields }
    var body: [UInt8]? { parts.body }
}
