// The hand-written JSON of a grant response (RFC 9635 §3), sent for every grant request. Same members and
// names as the `Codable` conformances in GNAPGrantResponse.swift; GNAPResponseJSONOutputTests compares them.

extension GNAPGrantResponse: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            if let `continue` {
                out.key("continue")
                try `continue`.write(to: &out)
            }
            if let accessToken {
                out.key("access_token")
                switch accessToken {
                case .single(let token): try token.write(to: &out)
                case .multiple(let tokens):
                    try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                        for token in tokens { try token.write(to: &out) }
                    }
                }
            }
            if let interact {
                out.key("interact")
                try out.object(interact)
            }
            if let subject {
                out.key("subject")
                try out.encodable(subject)
            }
            if let instanceID {
                out.key("instance_id")
                out.string(instanceID)
            }
        }
    }
}

extension GNAPContinue: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("access_token")
            try accessToken.write(to: &out)
            out.key("uri")
            out.string(uri)
            if let wait {
                out.key("wait")
                out.integer(wait)
            }
        }
    }
}

extension GNAPTokenValue: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("value")
            out.string(value)
        }
    }
}

extension GNAPAccessToken: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("value")
            out.string(value)
            if let label {
                out.key("label")
                out.string(label)
            }
            if let manage {
                out.key("manage")
                try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    out.key("uri")
                    out.string(manage.uri)
                    out.key("access_token")
                    try manage.accessToken.write(to: &out)
                }
            }
            out.key("access")
            try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                for right in access { try right.write(to: &out) }
            }
            if let expiresIn {
                out.key("expires_in")
                out.integer(expiresIn)
            }
            if let flags {
                out.key("flags")
                try out.strings(flags)
            }
            if let key {
                out.key("key")
                try out.encodable(key)
            }
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
            out.key("type")
            out.string(type)
            for (name, values) in [("actions", actions), ("locations", locations), ("datatypes", datatypes)] {
                guard let values else { continue }
                out.key(name)
                try out.strings(values)
            }
            if let identifier {
                out.key("identifier")
                out.string(identifier)
            }
            if let privileges {
                out.key("privileges")
                try out.strings(privileges)
            }
            // As in `encode(to:)`: an API-specific member named like a known one is not written.
            for (name, value) in extra where CodingKeys(rawValue: name) == nil {
                out.key(name)
                try out.value(value)
            }
        }
    }
}
