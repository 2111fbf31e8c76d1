// The hand-written JSON of a token response (RFC 6749 §5.1), sent for every token request (issue 22: JSONEncoder was
// ~2.5 % of a client_credentials request). Same members and names as the `Codable` conformance in
// TokenResponse.swift, absent optionals left out; TokenResponseJSONOutputTests compares them.

extension TokenResponse: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("access_token")
            out.string(accessToken)
            if let authorizationDetails {
                out.key("authorization_details")
                try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    for detail in authorizationDetails { try out.value(detail) }
                }
            }
            if let expiresIn {
                out.key("expires_in")
                out.integer(expiresIn)
            }
            if let idToken {
                out.key("id_token")
                out.string(idToken)
            }
            if let issuedTokenType {
                out.key("issued_token_type")
                out.string(issuedTokenType)
            }
            if let refreshToken {
                out.key("refresh_token")
                out.string(refreshToken)
            }
            if let scope {
                out.key("scope")
                out.string(scope)
            }
            out.key("token_type")
            out.string(tokenType)
        }
    }
}
