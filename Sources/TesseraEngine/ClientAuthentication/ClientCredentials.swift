public import TesseraProtocol

/// What a request presented to identify its client (RFC 6749 §2.3, RFC 7523 §2.2), extracted
/// by the server from the `Authorization` header and the form body. No HTTP types.
public enum ClientCredentials: Sendable, Hashable {
    /// `Authorization: Basic` (client_secret_basic).
    case basic(clientID: String, secret: String)
    /// `client_id` + `client_secret` in the body (client_secret_post).
    case post(clientID: String, secret: String)
    /// `client_assertion` (private_key_jwt), with the optional `client_id` the body carried.
    case assertion(clientID: String?, assertion: String)
    /// Only `client_id` (a public client).
    case clientIDOnly(String)
    /// Nothing identifies the client.
    case none

    /// Reads the credentials from a Basic header (already split into id and secret) and the form.
    /// - Throws: ``OAuthError`` `invalid_request` when more than one method is used (RFC 6749 §2.3),
    ///   or the assertion type is not JWT bearer.
    public init(basic: (clientID: String, secret: String)?, form: FormParameters) throws(OAuthError) {
        let bodySecret = form["client_secret"]
        let assertion = form["client_assertion"]
        let methods = (basic != nil ? 1 : 0) + (bodySecret != nil ? 1 : 0) + (assertion != nil ? 1 : 0)
        guard methods <= 1 else {
            throw OAuthError.invalidRequest("the client used more than one authentication method (RFC 6749 §2.3)")
        }
        if let basic {
            if let bodyID = form["client_id"], bodyID != basic.clientID {
                throw OAuthError.invalidRequest("client_id in the body differs from the Authorization header")
            }
            self = .basic(clientID: basic.clientID, secret: basic.secret)
        } else if let assertion {
            guard form["client_assertion_type"] == ClientAssertionClaims.assertionType else {
                throw OAuthError.invalidRequest("client_assertion_type must be \(ClientAssertionClaims.assertionType)")
            }
            self = .assertion(clientID: form["client_id"], assertion: assertion)
        } else if let bodySecret {
            guard let id = form["client_id"] else { throw OAuthError.invalidRequest("client_secret without client_id") }
            self = .post(clientID: id, secret: bodySecret)
        } else if let id = form["client_id"] {
            self = .clientIDOnly(id)
        } else {
            self = .none
        }
    }

    /// Whether the request used the `Authorization` header (so a 401 carries `WWW-Authenticate`).
    public var usedAuthorizationHeader: Bool {
        if case .basic = self { return true }
        return false
    }
}
