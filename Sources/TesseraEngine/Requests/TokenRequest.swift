public import TesseraProtocol

/// A token request as the engine sees it (RFC 6749 §4.4.2, §6; RFC 8707 §2.2), decoded from the form.
public struct TokenRequest: Sendable {
    public var grantType: GrantType
    /// The raw `scope` parameter, when sent.
    public var scope: String?
    /// `resource` indicators, in request order.
    public var resources: [String]
    /// Every parameter, for grant-specific members (`refresh_token`, …).
    public var parameters: FormParameters
    /// The key the client proved possession of with this request (a verified DPoP proof,
    /// RFC 9449 §4.3), which the issued tokens are bound to. `nil` for bearer requests.
    public var confirmation: Confirmation?
    /// `authorization_details` (RFC 9396 §6), checked for shape; each grant decides what is
    /// granted with ``GrantContext/authorizationDetails``.
    public var authorizationDetails: [JSONValue]?

    /// - Throws: ``OAuthError`` `invalid_request` when `grant_type` is missing.
    public init(form: FormParameters) throws(OAuthError) {
        guard let grantType = form["grant_type"] else { throw OAuthError.invalidRequest("missing required parameter 'grant_type'") }
        self.grantType = GrantType(rawValue: grantType)
        self.scope = form["scope"]
        self.resources = form.all("resource")
        self.parameters = form
        if let details = form["authorization_details"] {
            self.authorizationDetails = try AuthorizationDetailsProcessor.parse(details)
        }
    }
}
