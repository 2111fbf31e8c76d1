import AsyncHTTPClient
import HTTPMessageSignatures
import NIOCore
import NIOHTTP1
import TesseraProtocol

/// The default transport for RS→AS calls: AsyncHTTPClient's shared client.
struct ResourceHTTPTransport: TesseraTransport {
    var timeout: Duration = .seconds(10)

    func send(_ request: HTTPSignatureRequest) async throws -> TesseraHTTPResponse {
        var outgoing = HTTPClientRequest(url: "\(request.scheme)://\(request.authority)\(request.requestTarget)")
        outgoing.method = HTTPMethod(rawValue: request.method)
        for field in request.headerFields { outgoing.headers.add(name: field.name, value: field.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(timeout.components.seconds))
        let body = try await response.body.collect(upTo: 1 << 20)
        return TesseraHTTPResponse(
            status: Int(response.status.code),
            headerFields: response.headers.map { HTTPSignatureField(name: $0.name, value: $0.value) },
            body: Array(buffer: body)
        )
    }
}
