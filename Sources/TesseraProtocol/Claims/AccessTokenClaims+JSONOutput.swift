// The hand-written JSON payload of an access token (RFC 9068 §2.2), signed for every token issued. Same members
// and names as the synthesized `Codable` conformance; AccessTokenClaimsJSONOutputTests compares them.

extension AccessTokenClaims: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("iss")
            out.string(iss)
            out.key("sub")
            out.string(sub)
            out.key("aud")
            if aud.values.count == 1 { out.string(aud.values[0]) } else { try out.strings(aud.values) }
            out.key("exp")
            out.integer(exp)
            out.key("iat")
            out.integer(iat)
            out.key("jti")
            out.string(jti)
            out.key("client_id")
            out.string(clientID)
            if let scope {
                out.key("scope")
                out.string(scope)
            }
            if let cnf {
                out.key("cnf")
                try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    if let jkt = cnf.jkt {
                        out.key("jkt")
                        out.string(jkt)
                    }
                    if let thumbprint = cnf.x5tS256 {
                        out.key("x5t#S256")
                        out.string(thumbprint)
                    }
                }
            }
            if let access {
                out.key("access")
                try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    for right in access { try right.write(to: &out) }
                }
            }
            if let act {
                out.key("act")
                try out.encodable(act)
            }
            if let authorizationDetails {
                out.key("authorization_details")
                try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    for detail in authorizationDetails { try out.value(detail) }
                }
            }
        }
    }
}
