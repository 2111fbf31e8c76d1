// The hand-written JSON of an introspection response (RFC 7662 §2.2), sent for every introspection request (issue 22:
// JSONEncoder was ~3.5 % of one). Same members and names as the `Codable` conformance in IntrospectionResponse.swift,
// absent optionals left out; IntrospectionResponseJSONOutputTests compares them.

extension IntrospectionResponse: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("active")
            out.bool(active)
            if let aud {
                out.key("aud")
                try out.strings(aud)
            }
            if let authorizationDetails {
                out.key("authorization_details")
                try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    for detail in authorizationDetails { try out.value(detail) }
                }
            }
            if let clientID {
                out.key("client_id")
                out.string(clientID)
            }
            if let cnf {
                out.key("cnf")
                try out.encodable(cnf)
            }
            if let exp {
                out.key("exp")
                out.integer(exp)
            }
            if let iat {
                out.key("iat")
                out.integer(iat)
            }
            if let iss {
                out.key("iss")
                out.string(iss)
            }
            if let jti {
                out.key("jti")
                out.string(jti)
            }
            if let scope {
                out.key("scope")
                out.string(scope)
            }
            if let sub {
                out.key("sub")
                out.string(sub)
            }
            if let tokenType {
                out.key("token_type")
                out.string(tokenType)
            }
        }
    }
}
