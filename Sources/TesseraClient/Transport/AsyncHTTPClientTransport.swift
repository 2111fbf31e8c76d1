public import AsyncHTTPClient
public import HTTPMessageSignatures
import NIOCore
import NIOHTTP1
public import TesseraProtocol

/// The default ``TesseraTransport``: AsyncHTTPClient (`HTTPClient.shared` unless one is injected).
public struct AsyncHTTPClientTransport: TesseraTransport {
    /// The client requests go through.
    public let client: HTTPClient
    /// The deadline for a whole request, response body included.
    public var timeout: Duration
    /// Larger response bodies are refused (a GNAP response is a small JSON object).
    public var maximumResponseBytes: Int

    /// Creates a transport over `client`.
    public init(client: HTTPClient = .shared, timeout: Duration = .seconds(30), maximumResponseBytes: Int = 1 << 20) {
        self.client = client
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    public func send(_ request: HTTPSignatureRequest) async throws -> TesseraHTTPResponse {
        var outgoing = HTTPClientRequest(url: "\(request.scheme)://\(request.authority)\(request.requestTarget)")
        outgoing.method = HTTPMethod(rawValue: request.method)
        for field in request.headerFields { outgoing.headers.add(name: field.name, value: field.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let response = try await client.execute(outgoing, timeout: .nanoseconds(nanoseconds))
        let body = try await response.body.collect(upTo: maximumResponseBytes)
        return TesseraHTTPResponse(
            status: Int(response.status.code),
            headerFields: response.headers.map { HTTPSignatureField(name: $0.name, value: $0.value) },
            body: Array(buffer: body)
        )
    }
}
