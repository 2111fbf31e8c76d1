import Foundation
import HTTPTypes
import Hummingbird
import MCP
import NIOCore
import NIOFoundationCompat

/// Carries a Hummingbird request into the MCP SDK's framework-free HTTP server transport and its
/// answer back out.
enum MCPTransportAdapter {
    /// A JSON-RPC message (or batch) larger than this is refused with 413 before it is read further.
    static let maximumBodySize = 1 << 20

    static func mcpRequest(_ request: Request) async throws -> MCP.HTTPRequest {
        let body = try await request.body.collect(upTo: maximumBodySize)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        // HTTP/1.1 `Host` arrives as the request's authority; the SDK's DNS-rebinding check reads it.
        if let authority = request.head.authority { headers["host"] = authority }
        return MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: Data(buffer: body), path: request.uri.path)
    }

    static func response(_ answer: MCP.HTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let status = HTTPTypes.HTTPResponse.Status(code: answer.statusCode)
        switch answer {
        case .stream(let stream, _):
            return Response(status: status, headers: fields, body: ResponseBody(asyncSequence: stream.map { ByteBuffer(data: $0) }))
        default:
            guard let data = answer.bodyData else { return Response(status: status, headers: fields) }
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
    }
}
