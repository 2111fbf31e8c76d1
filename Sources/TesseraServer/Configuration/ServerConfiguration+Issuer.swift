import Foundation

extension ServerConfiguration {
    /// The issuer must already be in the form URL parsers normalise to — lowercase scheme and host,
    /// no default port (RFC 3986 §6.2.2.1, §6.2.3) — because clients compare the metadata `issuer`
    /// and the RFC 9207 `iss` as simple strings with the issuer they parsed (RFC 8414 §3.3; the
    /// MCP SDKs run it through their URL type first), so `https://AS.example.com:443` would make
    /// every client reject this server.
    /// - Throws: ``ConfigurationError`` for `issuer`, giving the canonical spelling.
    static func checkCanonical(issuer: String) throws(ConfigurationError) {
        // IPv6 literals are left to the URL grammar check: their canonical text form is not this check's business.
        guard let components = URLComponents(string: issuer), let scheme = components.scheme, let host = components.host,
            !host.contains(":"), !host.hasPrefix("[")
        else { return }
        var canonical = URLComponents()
        canonical.scheme = scheme.lowercased()
        canonical.host = host.lowercased()
        let defaultPort = canonical.scheme == "https" ? 443 : 80
        if let port = components.port, port != defaultPort { canonical.port = port }
        canonical.percentEncodedPath = components.percentEncodedPath
        guard let expected = canonical.string, expected == issuer else {
            throw ConfigurationError(
                field: "issuer",
                "must be canonical (lowercase scheme and host, no default port; RFC 3986 §6.2): write '\(canonical.string ?? issuer)'"
            )
        }
    }
}
