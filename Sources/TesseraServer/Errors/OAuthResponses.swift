import Foundation
import Hummingbird
import TesseraProtocol

/// Encodes OAuth outcomes as HTTP responses (RFC 6749 §5.1, §5.2; RFC 6750 §3).
enum OAuthResponses {
    static let noStoreJSON: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]

    /// A JSON body with `Cache-Control: no-store`.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        // Token responses have a hand-written JSON form (issue 22), much cheaper than JSONEncoder.
        if let writable = value as? any JSONOutputWritable, let bytes = try? writable.jsonBytes() {
            return Response(status: status, headers: noStoreJSON, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"server_error"}"#.utf8)
        return Response(status: status, headers: noStoreJSON, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The RFC 6749 §5.2 error response: 400, or 401 with `WWW-Authenticate` for `invalid_client`
    /// (required when the client used the `Authorization` header, harmless otherwise), 503 for
    /// `temporarily_unavailable`; a bearer-protected endpoint's `invalid_token` (401) and
    /// `insufficient_scope` (403) carry the RFC 6750 §3 `Bearer` challenge.
    static func error(_ error: OAuthError) -> Response {
        let status: HTTPResponse.Status =
            switch error.code {
            case .invalidClient, .invalidToken: .unauthorized
            case .insufficientScope: .forbidden
            case .serverError: .internalServerError
            case .temporarilyUnavailable: .serviceUnavailable
            default: .badRequest
            }
        var response = json(OAuthErrorBody(error), status: status)
        switch error.code {
        case .invalidClient:
            response.headers[.wwwAuthenticate] = #"Basic realm="tessera""#
        case .invalidToken, .insufficientScope:
            response.headers[.wwwAuthenticate] = challenge("Bearer", error)
        default:
            break
        }
        return response
    }

    /// A protected resource's challenge (RFC 6750 §3, RFC 9449 §7.1): `SCHEME error="…", error_description="…"`,
    /// then `parameters` (each `, name="value"`).
    static func challenge(_ scheme: String, _ error: OAuthError, parameters: String = "") -> String {
        let description = error.message.replacingOccurrences(of: "\"", with: "'")
        return "\(scheme) error=\"\(error.code.rawValue)\", error_description=\"\(description)\"" + parameters
    }
}
