import Foundation
import Hummingbird
import TesseraProtocol

/// Reads `Authorization: Basic` for client authentication (RFC 6749 §2.3.1): the id and secret are
/// form-urlencoded before being joined with `:` and base64-encoded.
enum BasicAuthorization {
    /// - Returns: `nil` when there is no Basic header.
    /// - Throws: ``OAuthError`` `invalid_client` for a malformed header (a 401 with `WWW-Authenticate`).
    static func credentials(from request: Request) throws(OAuthError) -> (clientID: String, secret: String)? {
        let values = request.headers[values: .authorization]
        guard let header = values.first else { return nil }
        guard values.count == 1 else { throw OAuthError.invalidRequest("more than one Authorization header") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, HeaderText.equalsIgnoringASCIICase(parts[0], "basic") else {
            throw OAuthError.invalidClient("the Authorization header must use the Basic scheme at this endpoint")
        }
        guard parts[1].utf8.count <= 4096, let decoded = Data(base64Encoded: String(HeaderText.trimmingOWS(parts[1]))),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { throw OAuthError.invalidClient("the Basic credentials are not base64 of 'client_id:client_secret'") }
        do {
            let id = try FormParameters.decodeComponent(String(text[..<colon]))
            let secret = try FormParameters.decodeComponent(String(text[text.index(after: colon)...]))
            guard !id.isEmpty else { throw OAuthError.invalidClient("the Basic credentials have an empty client_id") }
            return (id, secret)
        } catch {
            throw OAuthError.invalidClient("the Basic credentials are not form-urlencoded (RFC 6749 §2.3.1)")
        }
    }
}
