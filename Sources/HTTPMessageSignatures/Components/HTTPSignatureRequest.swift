public import HTTPTypes

/// An HTTP request as RFC 9421 sees it: control data, fields, trailers and (optionally) content.
///
/// The type is framework-free, so a server adapter (for example Hummingbird's `Request`) and a client adapter
/// (AsyncHTTPClient's `HTTPClientRequest`) both build one. Derived components (RFC 9421 §2.2) are computed from
/// ``method``, ``scheme``, ``authority`` and ``requestTarget``; field components (§2.1) from ``headerFields`` and
/// ``trailerFields``.
///
/// ```swift
/// var request = try HTTPSignatureRequest(
///     method: "POST", targetURI: "https://server.example.com/gnap",
///     headerFields: [.init(name: "Content-Type", value: "application/json")], body: Array(json.utf8))
/// ```
public struct HTTPSignatureRequest: HTTPSignatureMessage, Hashable {
    /// The method exactly as sent; `@method` is case-sensitive (RFC 9421 §2.2.1).
    public var method: String
    /// The scheme of the target URI, e.g. `https` (RFC 9421 §2.2.4).
    public var scheme: String
    /// The authority of the target URI as sent in `Host` or `:authority` (RFC 9421 §2.2.3).
    public var authority: String
    /// The request target as sent (RFC 9112 §3.2): origin-form `/path?query`, absolute-form, authority-form or `*`.
    public var requestTarget: String
    /// Header field lines, in message order.
    public var headerFields: [HTTPSignatureField]
    /// Trailer field lines, in message order (RFC 9421 §2.1.4 `tr`).
    public var trailerFields: [HTTPSignatureField]
    /// The content bytes as sent (after content coding), used to check `Content-Digest` (RFC 9530 §2).
    public var body: [UInt8]?

    /// Creates a request from its control data.
    ///
    /// - Parameters:
    ///   - method: The method, case preserved.
    ///   - scheme: The target URI's scheme.
    ///   - authority: The target URI's authority (`host[:port]`).
    ///   - requestTarget: The request target, e.g. `/foo?param=Value&Pet=dog`.
    ///   - headerFields: Header field lines in message order.
    ///   - trailerFields: Trailer field lines in message order.
    ///   - body: The content, if any.
    public init(
        method: String,
        scheme: String,
        authority: String,
        requestTarget: String,
        headerFields: [HTTPSignatureField] = [],
        trailerFields: [HTTPSignatureField] = [],
        body: [UInt8]? = nil
    ) {
        self.method = method
        self.scheme = scheme
        self.authority = authority
        self.requestTarget = requestTarget
        self.headerFields = headerFields
        self.trailerFields = trailerFields
        self.body = body
    }

    /// Creates a request from an absolute target URI (RFC 9110 §7.1), keeping its percent-encoding untouched.
    ///
    /// - Throws: ``HTTPSignatureError/Code/invalidMessage`` if `targetURI` is not an absolute `scheme://authority`
    ///   URI.
    public init(
        method: String,
        targetURI: String,
        headerFields: [HTTPSignatureField] = [],
        trailerFields: [HTTPSignatureField] = [],
        body: [UInt8]? = nil
    ) throws(HTTPSignatureError) {
        guard let parts = TargetURI(absolute: targetURI) else {
            throw HTTPSignatureError(.invalidMessage, "target URI is not an absolute http(s) URI")
        }
        self.init(
            method: method,
            scheme: parts.scheme,
            authority: parts.authority,
            requestTarget: parts.originForm,
            headerFields: headerFields,
            trailerFields: trailerFields,
            body: body
        )
    }

    /// Creates a request from swift-http-types values, e.g. what a Hummingbird handler receives.
    ///
    /// `request.path` is the request target; a missing scheme defaults to `https` and a missing authority to the
    /// `Host` field.
    public init(_ request: HTTPRequest, trailerFields: HTTPFields? = nil, body: [UInt8]? = nil) {
        let fields = request.headerFields.map { HTTPSignatureField(name: $0.name.rawName, value: $0.value) }
        let host = fields.first { $0.name == "host" }?.value ?? ""
        self.init(
            method: request.method.rawValue,
            scheme: request.scheme ?? "https",
            authority: request.authority ?? host,
            requestTarget: request.path ?? "/",
            headerFields: fields,
            trailerFields: trailerFields.map { $0.map { HTTPSignatureField(name: $0.name.rawName, value: $0.value) } } ?? [],
            body: body
        )
    }
}
