// The hand-written JSON payload of an access token (RFC 9068 §2.2), signed for every token issued. Same members
// and names as the synthesized `Codable` conformance; AccessTokenClaimsJSONOutputTests compares them.

extension AccessTokenClaims: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("iss", iss)
            out.member("sub", sub)
            out.key("aud")
            if aud.values.count == 1 { out.string(aud.values[0]) } else { try out.strings(aud.values) }
            out.member("exp", exp)
            out.member("iat", iat)
            out.member("jti", jti)
            out.member("client_id", clientID)
            out.member("scope", scope)
            try out.member("cnf", cnf)
            try out.member("access", access)
            try out.member("act", encoding: act)
            try out.member("authorization_details", authorizationDetails)
        }
    }
}

extension Confirmation: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("jkt", jkt)
            out.member("x5t#S256", x5tS256)
        }
    }
}
