import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A refusal: status, RFC 6750 §3 error code and description, and the `WWW-Authenticate` challenge.
struct BankRefusal: Error, Sendable {
    var status: HTTPResponse.Status
    var error: String
    var description: String

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if status == .unauthorized || status == .forbidden {
            // A quoted-string (RFC 9110 §5.6.4) of printable ASCII only: reasons can name client-chosen ids.
            let printable = String(String.UnicodeScalarView(description.unicodeScalars.map { (0x20..<0x7F).contains($0.value) ? $0 : "?" }))
            let quoted = printable.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            headers[.wwwAuthenticate] = #"Bearer realm="bank", error="\#(error)", error_description="\#(quoted)""#
        }
        let body =
            (try? JSONSerialization.data(withJSONObject: ["error": error, "error_description": description], options: [.sortedKeys]))
            ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
