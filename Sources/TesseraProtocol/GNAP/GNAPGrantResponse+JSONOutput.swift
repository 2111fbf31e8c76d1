// The hand-written JSON of a grant response (RFC 9635 §3), sent for every grant request. Same members and
// names as the `Codable` conformances in GNAPGrantResponse.swift; GNAPResponseJSONOutputTests compares them.

extension GNAPGrantResponse: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            try out.member("continue", `continue`)
            try out.member("access_token", accessToken)
            if let interact {
                out.key("interact")
                try out.object(interact)
            }
            try out.member("subject", encoding: subject)
            out.member("instance_id", instanceID)
        }
    }
}

extension GNAPOneOrMany: JSONOutputWritable where Element: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        switch self {
        case .single(let token): try token.write(to: &out)
        case .multiple(let tokens):
            try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                for token in tokens { try token.write(to: &out) }
            }
        }
    }
}

extension GNAPContinue: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            try out.member("access_token", accessToken)
            out.member("uri", uri)
            out.member("wait", wait)
        }
    }
}

extension GNAPTokenValue: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("value", value)
        }
    }
}

extension GNAPManage: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("uri", uri)
            try out.member("access_token", accessToken)
        }
    }
}

extension GNAPAccessToken: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("value", value)
            out.member("label", label)
            try out.member("manage", manage)
            try out.member("access", access)
            out.member("expires_in", expiresIn)
            try out.member("flags", flags)
            try out.member("key", encoding: key)
        }
    }
}

extension GNAPAccessRight: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        switch self {
        case .reference(let reference): out.string(reference)
        case .object(let object): try object.write(to: &out)
        }
    }
}

extension GNAPAccessObject: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("type", type)
            try out.member("actions", actions)
            try out.member("locations", locations)
            try out.member("datatypes", datatypes)
            out.member("identifier", identifier)
            try out.member("privileges", privileges)
            // As in `encode(to:)`: an API-specific member named like a known one is not written.
            for (name, value) in extra where CodingKeys(rawValue: name) == nil {
                out.key(name)
                try out.value(value)
            }
        }
    }
}
