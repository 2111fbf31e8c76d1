/// The parts of an HTTP request a resource server needs to authorize it, framework-free.
public struct ResourceRequest: Sendable, Hashable {
    /// The method, e.g. `GET` (the DPoP `htm`).
    public var method: String
    /// The absolute URI the client called, as the client knows it (scheme and host of the public
    /// address, not a proxy's): the DPoP `htu` is checked against it. Query and fragment are ignored.
    public var uri: String
    /// Every `Authorization` field value.
    public var authorization: [String]
    /// Every `DPoP` field value.
    public var dpop: [String]
    /// The DER client certificate of the TLS connection (or of a trusted proxy's RFC 9440 `Client-Cert`),
    /// for tokens bound to a certificate (`cnf.x5t#S256`, RFC 8705 §3).
    public var clientCertificate: [UInt8]?

    public init(method: String, uri: String, authorization: [String], dpop: [String] = [], clientCertificate: [UInt8]? = nil) {
        self.method = method
        self.uri = uri
        self.authorization = authorization
        self.dpop = dpop
        self.clientCertificate = clientCertificate
    }
}
