public import HTTPTypes

/// An HTTP response as RFC 9421 sees it, optionally with the request that caused it.
///
/// ``request`` is the context for component identifiers carrying `req` (RFC 9421 §2.4): the requester MUST keep
/// the request it sent in order to verify a response signature that covers it.
public struct HTTPSignatureResponse: HTTPSignatureMessage, Hashable {
    /// The three-digit status code (RFC 9421 §2.2.9).
    public var status: Int
    /// Header field lines, in message order.
    public var headerFields: [HTTPSignatureField]
    /// Trailer field lines, in message order.
    public var trailerFields: [HTTPSignatureField]
    /// The content bytes as sent, used to check `Content-Digest`.
    public var body: [UInt8]?
    /// The request this response answers, for `;req` components (RFC 9421 §2.4).
    public var request: HTTPSignatureRequest?

    /// Creates a response.
    public init(
        status: Int,
        headerFields: [HTTPSignatureField] = [],
        trailerFields: [HTTPSignatureField] = [],
        body: [UInt8]? = nil,
        request: HTTPSignatureRequest? = nil
    ) {
        self.status = status
        self.headerFields = headerFields
        self.trailerFields = trailerFields
        self.body = body
        self.request = request
    }

    /// Creates a response from swift-http-types values.
    public init(_ response: HTTPResponse, trailerFields: HTTPFields? = nil, body: [UInt8]? = nil, request: HTTPSignatureRequest? = nil) {
        self.init(
            status: response.status.code,
            headerFields: response.headerFields.map { HTTPSignatureField(name: $0.name.rawName, value: $0.value) },
            trailerFields: trailerFields.map { $0.map { HTTPSignatureField(name: $0.name.rawName, value: $0.value) } } ?? [],
            body: body,
            request: request
        )
    }
}
