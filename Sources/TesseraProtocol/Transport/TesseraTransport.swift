public import HTTPMessageSignatures

/// An HTTP response as the SDKs see it: status, header fields in order, and the whole body.
public struct TesseraHTTPResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Header field lines (names lower-cased), in message order.
    public var headerFields: [HTTPSignatureField]
    /// The body bytes.
    public var body: [UInt8]

    public init(status: Int, headerFields: [HTTPSignatureField] = [], body: [UInt8] = []) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// The value of the first header line named `name` (case-insensitive).
    public func headerValue(_ name: String) -> String? {
        let lower = name.lowercased()
        return headerFields.first { $0.name == lower }?.value
    }
}

/// Sends one HTTP request and returns the response (the shape of swift-openapi-runtime's `ClientTransport`).
///
/// The request is the framework-free ``HTTPSignatureRequest`` the SDKs sign, so exactly the signed bytes go
/// on the wire. TesseraClient ships an AsyncHTTPClient implementation; tests feed an in-process server.
public protocol TesseraTransport: Sendable {
    /// Sends `request` to `scheme://authority/requestTarget` and returns the complete response.
    func send(_ request: HTTPSignatureRequest) async throws -> TesseraHTTPResponse
}
