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

    public init(method: String, uri: String, authorization: [String], dpop: [String] = []) {
        self.method = method
        self.uri = uri
        self.authorization = authorization
        self.dpop = dpop
    }
}
