// The hand-written JSON of an introspection response (RFC 7662 §2.2), sent for every introspection request (issue 22:
// JSONEncoder was ~3.5 % of one). Same members and names as the `Codable` conformance in IntrospectionResponse.swift,
// absent optionals left out; IntrospectionResponseJSONOutputTests compares them.

extension IntrospectionResponse: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("active")
            out.bool(active)
            try out.member("aud", aud)
            try out.member("authorization_details", authorizationDetails)
            out.member("client_id", clientID)
            try out.member("cnf", encoding: cnf)
            out.member("exp", exp)
            out.member("iat", iat)
            out.member("iss", iss)
            out.member("jti", jti)
            out.member("scope", scope)
            out.member("sub", sub)
            out.member("token_type", tokenType)
        }
    }
}
