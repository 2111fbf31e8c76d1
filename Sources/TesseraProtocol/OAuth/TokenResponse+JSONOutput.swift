// The hand-written JSON of a token response (RFC 6749 §5.1), sent for every token request (issue 22: JSONEncoder was
// ~2.5 % of a client_credentials request). Same members and names as the `Codable` conformance in
// TokenResponse.swift, absent optionals left out; TokenResponseJSONOutputTests compares them.

extension TokenResponse: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("access_token", accessToken)
            try out.member("authorization_details", authorizationDetails)
            out.member("expires_in", expiresIn)
            out.member("id_token", idToken)
            out.member("issued_token_type", issuedTokenType)
            out.member("refresh_token", refreshToken)
            out.member("scope", scope)
            out.member("token_type", tokenType)
        }
    }
}
